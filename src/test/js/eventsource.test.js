// A standard EventSource (the `eventsource` package, WHATWG-conformant) reads Sluice's stream:
// every event type, id and data arrives as the provider sent it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventSource } from 'eventsource';
import { FakeProvider } from './support/fake-provider.js';
import { teardown, within } from './support/flow.js';
import { startSluice, stopAll } from './support/sluice.js';

// Named events, ids that persist, clear and stand alone, multi-line and empty data, a leading
// space kept, mixed line ends, comments before and between events, non-ASCII text.
const UPSTREAM = [
  ': provider comment before the first event\n\n',
  'event: greeting\nid: 1\ndata: line one\ndata: line two\n\n',
  'id: 2\r\ndata: {"plain":true}\r\n\r\n',
  'event: delta\ndata:\n\n',
  ': a comment between events\n\n',
  'data:  two spaces, one kept\rdata: ünïcödé 🌊\r\r',
  'event: greeting\nid:\ndata: the id was cleared\n\n',
  'id: 7\n\n',
  'data: after an id-only block\n\n',
  'retry: 2500\nid: 42\nevent: message\ndata: explicit message type\n\n',
  'data: [DONE]\n\n',
];

// What the eventsource package dispatches for those bytes. Unlike a browser (WHATWG HTML 9.2.6),
// it reports each block's own id as lastEventId, "" when the block has none, and ignores a block
// with an id but no data; so the same stream read straight from the provider is the reference.
const EXPECTED = [
  { type: 'greeting', data: 'line one\nline two', lastEventId: '1' },
  { type: 'message', data: '{"plain":true}', lastEventId: '2' },
  { type: 'delta', data: '', lastEventId: '' },
  { type: 'message', data: ' two spaces, one kept\nünïcödé 🌊', lastEventId: '' },
  { type: 'greeting', data: 'the id was cleared', lastEventId: '' },
  { type: 'message', data: 'after an id-only block', lastEventId: '' },
  { type: 'message', data: 'explicit message type', lastEventId: '42' },
  { type: 'message', data: '[DONE]', lastEventId: '' },
];
const TYPES = ['message', 'greeting', 'delta'];

let fake;
let sluice;

before(async () => {
  fake = await FakeProvider.start();
  sluice = await startSluice({ OPENAI_BASE_URL: fake.baseUrl });
});

after(() => teardown(
  stopAll,
  () => fake?.close(),
  () => assert.deepEqual(fake?.failures ?? [], [], 'a fake provider script failed'),
));

/** Reads `url` with EventSource, POSTing `question` through its fetch option, until [DONE]. */
async function readEvents(url, question) {
  const source = new EventSource(url, {
    // EventSource only GETs; its fetch option lets it POST the chat request as an app does.
    fetch: (input, init) => fetch(input, {
      ...init,
      method: 'POST',
      headers: { ...init.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(question),
    }),
  });
  const events = [];
  const finished = new Promise((resolve, reject) => {
    const record = (event) => {
      events.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
      if (event.data === '[DONE]') {
        source.close(); // the end of the answer: no reconnect
        resolve();
      }
    };
    for (const type of TYPES) source.addEventListener(type, record);
    source.onerror = (err) => {
      source.close();
      reject(new Error(`EventSource failed before [DONE]: ${err.message ?? err.type}`));
    };
  });
  try {
    await within(15_000, finished, `the stream from ${url} to reach [DONE]`);
  } finally {
    source.close();
  }
  assert.equal(source.readyState, EventSource.CLOSED);
  return events;
}

test('every event type, id and data comes through as the provider sent it', async () => {
  const served = fake.on('named-events', (exchange) => {
    exchange.startStream();
    for (const part of UPSTREAM) exchange.write(part);
    exchange.end();
  });
  const question = {
    model: 'named-events',
    stream: true,
    messages: [{ role: 'user', content: 'Hi' }],
  };
  const relayed = await readEvents(`${sluice.url}v1/chat/completions`, question);
  const direct = await readEvents(`${fake.baseUrl}/chat/completions`, question);
  assert.deepEqual(relayed, direct, 'through Sluice as straight from the provider');
  assert.deepEqual(relayed, EXPECTED);
  const exchange = await served.next();
  const { model, stream, messages } = exchange.body;
  assert.deepEqual({ model, stream, messages }, question, 'the provider got the POSTed request');
  assert.equal(exchange.headers.accept, 'text/event-stream');
  assert.equal(served.count, 2, 'one request each, no reconnect');
});
