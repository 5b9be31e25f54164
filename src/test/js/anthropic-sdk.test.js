// The official Anthropic TypeScript SDK against Sluice's Anthropic route (/anthropic): a
// streamed message yields its text and the final message, and errors keep Anthropic's shape;
// with no key at all, the README's example streams from the simulated upstream.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { FakeProvider } from './support/fake-provider.js';
import { teardown } from './support/flow.js';
import { startSluice, stopAll } from './support/sluice.js';

const SLUICE_KEY = 'sk-ant-fake-key-0123';
const TOKENS = ['Hé', 'llo', ', wörld', ' 🌊', '\n', '"quoted"', ' \\ end.'];

let fake;
let sluice;

before(async () => {
  fake = await FakeProvider.start();
  sluice = await startSluice({ ANTHROPIC_BASE_URL: fake.origin, ANTHROPIC_API_KEY: SLUICE_KEY });
});

after(() => teardown(
  stopAll,
  () => fake?.close(),
  () => assert.deepEqual(fake?.failures ?? [], [], 'a fake provider script failed'),
));

function sdk(relay = sluice) {
  return new Anthropic({
    baseURL: `${relay.url}anthropic`,
    apiKey: 'client-token-not-forwarded',
    maxRetries: 0,
    timeout: 20_000,
  });
}

const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A whole streamed message, each of TOKENS a text delta. */
function writeMessage(exchange) {
  exchange.startStream();
  exchange.write(event('message_start', {
    message: {
      id: 'msg_fake', type: 'message', role: 'assistant', model: 'claude-test', content: [],
      stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 },
    },
  }));
  exchange.write(event('content_block_start', {
    index: 0, content_block: { type: 'text', text: '' },
  }));
  exchange.write(event('ping', {}));
  for (const text of TOKENS) {
    exchange.write(event('content_block_delta', {
      index: 0, delta: { type: 'text_delta', text },
    }));
  }
  exchange.write(event('content_block_stop', { index: 0 }));
  exchange.write(event('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 },
  }));
  exchange.end(event('message_stop', {}));
}

test('messages.stream() yields the text and the final message', async () => {
  const served = fake.on('claude-test', writeMessage);
  const stream = sdk().messages.stream({
    model: 'claude-test',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello' }],
  });
  const texts = [];
  stream.on('text', (text) => texts.push(text));
  const message = await stream.finalMessage();
  assert.deepEqual(texts, TOKENS, 'each delta as the provider sent it');
  assert.equal(message.id, 'msg_fake');
  assert.deepEqual(message.content, [{ type: 'text', text: TOKENS.join('') }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.output_tokens, 9);
  const exchange = await served.next();
  assert.equal(exchange.headers['x-api-key'], SLUICE_KEY,
    "the provider gets Sluice's key, never the client's token");
  assert.equal(exchange.body.stream, true);
});

test('an upstream error keeps Anthropic\'s shape and becomes the SDK\'s error class', async () => {
  fake.on('claude-limited', (exchange) => exchange.json(429, {
    type: 'error',
    error: {
      type: 'rate_limit_error',
      message: 'Number of request tokens has exceeded your rate limit.',
    },
  }));
  const stream = sdk().messages.stream({
    model: 'claude-limited',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello' }],
  });
  await assert.rejects(stream.finalMessage(), (err) => {
    assert.ok(err instanceof Anthropic.RateLimitError, `${err.constructor.name}: ${err.message}`);
    assert.equal(err.status, 429);
    assert.equal(err.error.error.type, 'rate_limit_error');
    assert.match(err.message, /Number of request tokens has exceeded your rate limit/);
    return true;
  });
});

test('with no key, the README example streams a simulated answer', async () => {
  const keyless = await startSluice({ SLUICE_SIMULATED_TOKEN_DELAY: '1ms' });
  try {
    const stream = sdk(keyless).messages.stream({
      model: 'claude-sonnet-5-5',
      max_tokens: 512,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const texts = [];
    stream.on('text', (text) => texts.push(text));
    const message = await stream.finalMessage();
    assert.ok(texts.length > 10, `the answer streams in many deltas: ${texts.length}`);
    assert.match(texts.join(''), /^Hello! I am Sluice's simulated upstream/);
    assert.match(texts.join(''), /ANTHROPIC_API_KEY/, 'it says how to reach a real model');
    assert.match(message.id, /^msg_simulated_/);
    assert.equal(message.model, 'claude-sonnet-5-5');
    assert.deepEqual(message.content, [{ type: 'text', text: texts.join('') }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.output_tokens, texts.length);
    assert.ok(message.usage.input_tokens > 0);
  } finally {
    await keyless.stop();
  }
});

test('on a resumable route messages.stream() reads the same events: ids and priming unseen',
  async () => {
    fake.on('claude-resumable', writeMessage);
    const resumable = await startSluice({
      ANTHROPIC_BASE_URL: fake.origin,
      ANTHROPIC_API_KEY: SLUICE_KEY,
      SLUICE_ROUTE_ANTHROPIC_RESUMABLE: 'true',
    });
    try {
      const read = async (relay) => {
        const stream = sdk(relay).messages.stream({
          model: 'claude-resumable',
          max_tokens: 256,
          messages: [{ role: 'user', content: 'Hello' }],
        });
        const events = [];
        const texts = [];
        stream.on('streamEvent', (streamEvent) => events.push(streamEvent));
        stream.on('text', (text) => texts.push(text));
        const { response } = await stream.withResponse();
        const message = await stream.finalMessage();
        return { id: response.headers.get('x-sluice-stream-id'), events, texts, message };
      };
      const plain = await read(sluice);
      const resumed = await read(resumable);
      assert.equal(plain.id, null, 'the plain route is not resumable');
      assert.match(resumed.id ?? '', /^[A-Za-z0-9_-]{16,}$/, 'the stream was resumable');
      assert.deepEqual(resumed.events, plain.events, 'the same events, no more');
      assert.deepEqual(resumed.texts, TOKENS);
      assert.deepEqual(resumed.message, plain.message);
    } finally {
      await resumable.stop();
    }
  });
