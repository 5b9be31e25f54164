// A standard EventSource (the `eventsource` package, WHATWG-conformant) reads Sluice's stream:
// every event type, id and data arrives as the provider sent it, and through a resumable
// stream's signed URL its own reconnection resumes a cut stream.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventSource } from 'eventsource';
import { CutProxy } from './support/cut-proxy.js';
import { DONE, FakeProvider } from './support/fake-provider.js';
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

test('a stream that waited in the queue, its comments first, reads as any other', async () => {
  const queued = await startSluice({
    OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-sluice-queued-key-0123456789',
    SLUICE_HEARTBEAT: '100ms', SLUICE_RETRIES: '1',
  });
  let calls = 0;
  const served = fake.on('queued-events', (exchange) => {
    calls += 1;
    if (calls === 1) {
      exchange.json(429, { error: { message: 'slow down' } }, { 'retry-after-ms': '800' });
      return;
    }
    exchange.startStream();
    for (const part of UPSTREAM) exchange.write(part);
    exchange.end();
  });
  const question = {
    model: 'queued-events', stream: true, messages: [{ role: 'user', content: 'Hi' }],
  };
  assert.deepEqual(await readEvents(`${queued.url}v1/chat/completions`, question), EXPECTED);
  assert.equal(served.count, 2, 'throttled once, then served after the rest');
});

test('through its signed URL, EventSource resumes a cut stream by itself: every event once',
  async () => {
    // Written before and after the cut; the provider holds the second half until the client has
    // seen the first and lost its connection.
    const first = ['{"n":0}', '{"n":1}', '{"n":2}'];
    const second = ['{"n":3}', '{"n":4}', '{"n":5}'];
    let broken;
    const cut = new Promise((resolve) => { broken = resolve; });
    const served = fake.on('resumed-events', async (exchange) => {
      exchange.startStream();
      for (const data of first) exchange.write(`data: ${data}\n\n`);
      await within(20_000, cut, 'the client to lose its connection');
      for (const data of second) exchange.write(`data: ${data}\n\n`);
      exchange.end(DONE);
    });
    // The client reaches Sluice through a proxy that resets its connection, as a dropped
    // network would; Sluice's connection to the provider is untouched.
    const proxy = await CutProxy.start(sluice.url);
    try {
      const started = await fetch(`${proxy.url}v1/streams`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: 'resumed-events', stream: true, messages: [{ role: 'user', content: 'Hi' }],
        }),
      });
      assert.equal(started.status, 201);
      const { id, url: path } = await started.json();
      assert.ok(path.startsWith(`/v1/streams/${id}?token=`), path);
      // Relative, as a page's EventSource resolves it against the page: here, the proxy.
      const url = new URL(path, proxy.url).href;

      const requests = [];
      const source = new EventSource(url, {
        // Only to watch what it sends: the reconnection and its Last-Event-ID are its own.
        fetch: (input, init) => {
          requests.push({ url: String(input), lastEventId: init.headers['Last-Event-ID'] });
          return fetch(input, init);
        },
      });
      const events = [];
      let errors = 0;
      const finished = new Promise((resolve) => {
        source.onmessage = (event) => {
          events.push({ data: event.data, lastEventId: event.lastEventId });
          if (events.length === first.length) proxy.cut();
          if (event.data === '[DONE]') {
            source.close();
            resolve();
          }
        };
        source.onerror = () => {
          errors += 1;
          // The package reconnects on its own after an error: the stream is not closed.
          assert.equal(source.readyState, EventSource.CONNECTING);
          broken();
        };
      });
      try {
        await within(20_000, finished, 'the resumed stream to reach [DONE]');
      } finally {
        source.close();
      }

      const all = [...first, ...second, '[DONE]'];
      assert.deepEqual(events, all.map((data, i) => ({ data, lastEventId: `${id}:${i + 1}` })),
        'every event once, in order, each with its own id');
      assert.equal(errors, 1, 'one break');
      assert.deepEqual(requests, [
        { url, lastEventId: undefined },
        { url, lastEventId: `${id}:${first.length}` },
      ]);
      assert.equal(served.count, 1, 'one upstream request: the second read was a resume');
    } finally {
      await proxy.close();
    }
  });
