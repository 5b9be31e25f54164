// The official OpenAI Node SDK, pointed at Sluice by its base URL (and its apiKey, where Sluice
// asks for a client token): streams, whole answers, usage, errors and cancellation behave as they
// do against OpenAI.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { chunk, DONE, FakeProvider } from './support/fake-provider.js';
import { pause, teardown, within } from './support/flow.js';
import { startSluice, stopAll } from './support/sluice.js';

const SLUICE_KEY = 'sk-sluice-test-key-0123456789';
const TOKENS = ['Hé', 'llo', ', wörld', ' 🌊', '\n', '"quoted"', ' \\ end.'];
const CLIENT_TOKEN = 'slc_sdk-test-token-0123456789abcdef';

let fake;
let relay;      // Sluice relaying to the fake provider
let simulated;  // Sluice answering from its simulated upstream
let guarded;    // the simulated upstream behind an access file: only CLIENT_TOKEN may call
let scratch;

before(async () => {
  fake = await FakeProvider.start();
  scratch = await mkdtemp(path.join(tmpdir(), 'sluice-sdk-'));
  const access = path.join(scratch, 'access.properties');
  const hash = createHash('sha256').update(CLIENT_TOKEN).digest('hex');
  await writeFile(access, `client.sdk.token-sha256 = ${hash}\nclient.sdk.routes = openai\n`);
  [relay, simulated, guarded] = await Promise.all([
    startSluice({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: SLUICE_KEY }),
    startSluice({ SLUICE_SIMULATED_TOKEN_DELAY: '1ms' }),
    startSluice({ SLUICE_SIMULATED_TOKEN_DELAY: '1ms', SLUICE_ACCESS: access }),
  ]);
});

after(() => teardown(
  stopAll,
  () => fake?.close(),
  () => scratch && rm(scratch, { recursive: true, force: true }),
  () => assert.deepEqual(fake?.failures ?? [], [], 'a fake provider script failed'),
));

function sdk(sluice, apiKey = 'client-token-not-forwarded') {
  return new OpenAI({
    baseURL: `${sluice.url}v1`,
    apiKey,
    maxRetries: 0, // Sluice's behaviour is under test here, not the SDK's retries
    timeout: 20_000,
  });
}

const ask = (model, extra = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Hello, how does streaming work?' }],
  ...extra,
});

/** A whole streamed answer, each of TOKENS a chunk. */
function writeTokens(exchange) {
  exchange.startStream();
  exchange.write(chunk({ role: 'assistant', content: '' }));
  for (const token of TOKENS) {
    const event = chunk({ content: token });
    // Each event in two writes, so Sluice and the SDK both see events split across reads.
    const cut = Math.floor(event.length / 2);
    exchange.write(event.slice(0, cut));
    exchange.write(event.slice(cut));
  }
  exchange.write(chunk({}, { finish: 'stop' }));
  exchange.end(DONE);
}

test('a stream iterated to the end gives exactly the upstream text', async () => {
  const served = fake.on('stream-text', writeTokens);
  const stream = await sdk(relay).chat.completions.create(ask('stream-text', { stream: true }));
  let text = '';
  let finish = null;
  for await (const part of stream) {
    text += part.choices[0]?.delta?.content ?? '';
    finish = part.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, TOKENS.join(''));
  assert.equal(finish, 'stop');
  const exchange = await served.next();
  assert.equal(exchange.headers.authorization, `Bearer ${SLUICE_KEY}`,
    "the provider gets Sluice's key, never the client's token");
  assert.equal(exchange.body.stream, true);
});

test('a resumable stream (X-Sluice-Resumable) reads as the plain one: ids and priming unseen',
  async () => {
    fake.on('stream-resumable', writeTokens);
    const read = async (client) => {
      const { data: stream, response } = await client.chat.completions
        .create(ask('stream-resumable', { stream: true }))
        .withResponse();
      const parts = [];
      for await (const part of stream) parts.push(part);
      return { id: response.headers.get('x-sluice-stream-id'), parts };
    };
    const plain = await read(sdk(relay));
    const resumable = await read(new OpenAI({
      baseURL: `${relay.url}v1`,
      apiKey: 'client-token-not-forwarded',
      defaultHeaders: { 'X-Sluice-Resumable': 'true' },
      maxRetries: 0,
      timeout: 20_000,
    }));
    assert.equal(plain.id, null, 'a plain stream is not resumable');
    assert.match(resumable.id ?? '', /^[A-Za-z0-9_-]{16,}$/, 'the stream was resumable');
    assert.deepEqual(resumable.parts, plain.parts, 'the same chunks, no more');
    assert.equal(resumable.parts.map((p) => p.choices[0]?.delta?.content ?? '').join(''),
      TOKENS.join(''));
  });

test('stream_options.include_usage delivers usage, and the stream matches stream:false',
  async () => {
    const client = sdk(simulated);
    const stream = await client.chat.completions.create(ask('gpt-4o-mini', {
      stream: true,
      stream_options: { include_usage: true },
    }));
    let text = '';
    let chunks = 0;
    const usages = [];
    for await (const part of stream) {
      chunks += 1;
      text += part.choices[0]?.delta?.content ?? '';
      if (part.usage) usages.push({ usage: part.usage, choices: part.choices.length });
    }
    const whole = await client.chat.completions.create(ask('gpt-4o-mini', { stream: false }));
    const expected = whole.choices[0].message.content;
    assert.match(expected, /^Hello! I am Sluice's simulated upstream\./);
    assert.equal(text, expected);
    assert.ok(chunks > 10, `one chunk per token, got ${chunks}`);
    assert.equal(usages.length, 1, 'usage comes once, in the last chunk');
    const [{ usage, choices }] = usages;
    assert.equal(choices, 0, 'the usage chunk has no choices');
    assert.ok(usage.completion_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
  });

test('stream:false returns the upstream completion', async () => {
  const served = fake.on('whole', (exchange) => exchange.json(200, {
    id: 'chatcmpl-7',
    object: 'chat.completion',
    created: 1700000000,
    model: 'whole',
    choices: [{
      index: 0,
      message: { role: 'assistant', content: 'Grüße 🌊', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    }],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  }));
  const completion = await sdk(relay).chat.completions.create(ask('whole'));
  assert.equal(completion.id, 'chatcmpl-7');
  assert.equal(completion.choices[0].message.content, 'Grüße 🌊');
  assert.equal(completion.usage.total_tokens, 7);
  assert.notEqual((await served.next()).body.stream, true);
});

test('an upstream 429 is the SDK\'s RateLimitError, and so is the key\'s rest after it', async () => {
  // A Sluice of its own: the 429 rests its one key, which would refuse the tests after this.
  // The rest is longer than a request may queue (30 s), so the provider's 429 is the answer.
  const limited = await startSluice({
    OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-sluice-limited-key-0123456789',
  });
  const served = fake.on('limited', (exchange) => exchange.json(429, {
    error: {
      message: 'Rate limit reached for limited',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    },
  }, { 'retry-after': '70' }));
  await assert.rejects(
    sdk(limited).chat.completions.create(ask('limited', { stream: true })),
    (err) => {
      assert.ok(err instanceof OpenAI.RateLimitError, `${err.constructor.name}: ${err.message}`);
      assert.equal(err.status, 429);
      assert.equal(err.code, 'rate_limit_exceeded');
      assert.match(err.message, /Rate limit reached for limited/);
      assert.equal(err.headers.get('retry-after'), '70');
      return true;
    });
  assert.equal(served.count, 1, 'neither Sluice nor the SDK retried');
  // The key now rests: Sluice answers for it, without a call, in the shape the SDK reads.
  await assert.rejects(
    sdk(limited).chat.completions.create(ask('limited', { stream: true })),
    (err) => {
      assert.ok(err instanceof OpenAI.RateLimitError, `${err.constructor.name}: ${err.message}`);
      assert.match(err.message, /every key of route openai is resting/);
      const wait = Number(err.headers.get('retry-after'));
      assert.ok(wait > 30 && wait <= 70, `Retry-After: ${wait}`);
      return true;
    });
  assert.equal(served.count, 1, 'no call while the key rests');
});

test('a stream that waited in the queue for a resting key reads as any other', async () => {
  // Heartbeats every 100 ms: the queue's comments come before the answer. One retry: the
  // request's own call was throttled, and it may call once more after the rest.
  const queued = await startSluice({
    OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-sluice-queued-key-0123456789',
    SLUICE_HEARTBEAT: '100ms', SLUICE_RETRIES: '1',
  });
  let calls = 0;
  const served = fake.on('queued', (exchange) => {
    calls += 1;
    if (calls === 1) {
      exchange.json(429, { error: { message: 'slow down', type: 'requests' } },
        { 'retry-after-ms': '800' });
      return;
    }
    writeTokens(exchange);
  });
  const stream = await sdk(queued).chat.completions.create(ask('queued', { stream: true }));
  let text = '';
  for await (const part of stream) {
    text += part.choices[0]?.delta?.content ?? '';
  }
  assert.equal(text, TOKENS.join(''));
  assert.equal(served.count, 2, 'throttled once, then served after the rest');
});

test('an upstream failure mid-stream is the SDK\'s APIError, not garbage text', async () => {
  let clientHasText;
  const seen = new Promise((resolve) => { clientHasText = resolve; });
  fake.on('reset', async (exchange) => {
    exchange.startStream();
    exchange.write(chunk({ content: 'Partial' }));
    exchange.write(chunk({ content: ' answer' }));
    // A reset drops what Sluice has not read yet, so the reset waits until the client has both.
    await within(10_000, seen, 'the client to read the first tokens');
    exchange.reset();
  });
  const stream = await sdk(relay).chat.completions.create(ask('reset', { stream: true }));
  let text = '';
  await assert.rejects(async () => {
    for await (const part of stream) {
      text += part.choices[0]?.delta?.content ?? '';
      if (text === 'Partial answer') clientHasText();
    }
  }, (err) => {
    assert.ok(err instanceof OpenAI.APIError, `${err.constructor.name}: ${err.message}`);
    assert.ok(!(err instanceof OpenAI.APIConnectionError), 'an error event, not a dropped stream');
    assert.equal(err.type, 'upstream_error');
    assert.match(err.message, /upstream stream failed/);
    return true;
  });
  assert.equal(text, 'Partial answer');
});

test('an upstream error event mid-stream reaches the SDK as its APIError', async () => {
  fake.on('error-event', (exchange) => {
    exchange.startStream();
    exchange.write(chunk({ content: 'Half' }));
    exchange.write(`data: ${JSON.stringify({
      error: { message: 'The server had an error while processing your request.',
        type: 'server_error', param: null, code: null },
    })}\n\n`);
    exchange.end(DONE);
  });
  const stream = await sdk(relay).chat.completions.create(ask('error-event', { stream: true }));
  let text = '';
  await assert.rejects(async () => {
    for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
  }, (err) => {
    assert.ok(err instanceof OpenAI.APIError, `${err.constructor.name}: ${err.message}`);
    assert.equal(err.type, 'server_error');
    assert.equal(err.message, 'The server had an error while processing your request.');
    return true;
  });
  assert.equal(text, 'Half');
});

test('controller.abort() mid-stream makes the provider see its connection close', async () => {
  let written = 0;
  const served = fake.on('endless', async (exchange) => {
    exchange.startStream();
    // A provider keeps generating until its peer leaves: a token every 20 ms, at most 500.
    for (let i = 0; i < 500 && exchange.write(chunk({ content: ` token${i}` })); i++) {
      written = i + 1;
      await pause(20, exchange.gone);
    }
  });
  const controller = new AbortController();
  const stream = await sdk(relay).chat.completions.create(ask('endless', { stream: true }),
    { signal: controller.signal });
  let received = 0;
  for await (const part of stream) {
    assert.match(part.choices[0].delta.content, /^ token\d+$/);
    received += 1;
    if (received === 3) controller.abort();
  }
  assert.equal(received, 3, 'the stream stops at the abort');
  const exchange = await served.next();
  const { complete } = await within(5_000, exchange.closed, 'the provider to see the close');
  assert.equal(complete, false, 'the provider saw the connection close mid-answer');
  assert.ok(written < 500, `the provider stopped after ${written} tokens`);
});

test('the SDK\'s apiKey is the client token: the right one streams, a wrong one is refused',
  async () => {
    const stream = await sdk(guarded, CLIENT_TOKEN).chat.completions.create(ask('gpt-4o-mini', {
      stream: true,
    }));
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
    assert.match(text, /^Hello! I am Sluice's simulated upstream\./);
    await assert.rejects(
      sdk(guarded, 'slc_not-a-known-token').chat.completions.create(ask('gpt-4o-mini', {
        stream: true,
      })),
      (err) => {
        assert.ok(err instanceof OpenAI.AuthenticationError,
          `${err.constructor.name}: ${err.message}`);
        assert.equal(err.status, 401);
        return true;
      });
  });
