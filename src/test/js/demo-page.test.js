// The demo page in headless Chromium (Debian's, driven by playwright-core): answers grow token by
// token, Stop ends one and closes the provider's connection, errors read as sentences, behind an
// access file the page asks for a token and retries with it, and an answer whose connection
// breaks is resumed where it broke.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CutProxy } from './support/cut-proxy.js';
import { chunk, DONE, FakeProvider } from './support/fake-provider.js';
import { pause, teardown, within } from './support/flow.js';
import { ROOT, startSluice, stopAll } from './support/sluice.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'target');

let fake;
let simulated;  // Sluice with its simulated upstream, paced so streaming can be watched
let relay;      // Sluice relaying to the fake provider
let proxy;      // a proxy in front of relay that the tests cut like a dropped network
let browser;
let page;
let pageErrors;

before(async () => {
  // The browser is part of the suite: without it this fails, it does not skip.
  assert.ok(existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  fake = await FakeProvider.start();
  [simulated, relay, browser] = await Promise.all([
    startSluice({ SLUICE_SIMULATED_TOKEN_DELAY: '40ms' }),
    startSluice({ OPENAI_BASE_URL: fake.baseUrl, SLUICE_DEMO_MODEL: 'page-model' }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run', '--disable-sync'],
    }),
  ]);
  proxy = await CutProxy.start(relay.url);
  mkdirSync(SHOTS, { recursive: true });
});

after(() => teardown(
  () => browser?.close(),
  () => proxy?.close(),
  stopAll,
  () => fake?.close(),
  () => assert.deepEqual(fake?.failures ?? [], [], 'a fake provider script failed'),
));

beforeEach(async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterEach(() => teardown(
  () => page?.context().close(),
  () => assert.deepEqual(pageErrors, [], 'the page threw'),
));

/** Opens the page served by `sluice` and sends `question` as a person would. */
async function ask(sluice, question) {
  await page.goto(sluice.url);
  await page.locator('#upstream:not([data-kind="pending"])').waitFor();
  await page.locator('#prompt').fill(question);
  await page.locator('#prompt').press('Enter');
}

/** A promise and the function that settles it: a step a fake provider's script waits for. */
function gate() {
  let open;
  const opened = new Promise((resolve) => { open = resolve; });
  return { open, opened };
}

/** Resolves once the last answer's text is `text`. */
const shows = (text) => page.waitForFunction(
  (want) => document.querySelector('.turn.assistant:last-child .text')?.textContent === want,
  text, { timeout: 10_000 });

/**
 * Every request the page sends from now on to a path under /v1/, and the stream ids Sluice gave
 * its answers (X-Sluice-Stream-Id).
 */
function requestsToRelay() {
  const sent = [];
  const streams = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/v1/')) {
      sent.push({ method: request.method(), path: pathname, headers: request.headers() });
    }
  });
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/v1/chat/completions') {
      streams.push(response.headers()['x-sluice-stream-id']);
    }
  });
  return { sent, streams };
}

const answerText = () => page.locator('.turn.assistant .text').last().textContent();
const state = () => page.locator('body').getAttribute('data-state');

test('the answer grows while it streams and ends as the whole answer', async () => {
  const question = 'Explain how the relay streams tokens.';
  await ask(simulated, question);
  // Read the transcript whenever it has grown, noting whether the page still said "streaming".
  const samples = [];
  let seen = 0;
  for (let i = 0; i < 8; i++) {
    const sample = await page.waitForFunction((before) => {
      const text = document.querySelector('.turn.assistant:last-child .text')?.textContent ?? '';
      return text.length > before && { length: text.length, state: document.body.dataset.state };
    }, seen, { timeout: 10_000 }).then((handle) => handle.jsonValue());
    samples.push(sample);
    seen = sample.length;
  }
  await page.locator('body[data-state="idle"]').waitFor({ timeout: 20_000 });
  const final = await answerText();
  assert.ok(samples.every((s) => s.state === 'streaming'), JSON.stringify(samples));
  assert.ok(final.length > seen, `the whole answer (${final.length}) is longer than the last `
    + `sample (${seen}): every sample was read before the end`);

  const whole = await fetch(`${simulated.url}v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: question }] }),
  }).then((res) => res.json());
  assert.equal(final, whole.choices[0].message.content);
  // The usage chunk (stream_options.include_usage) reached the page's footnote.
  assert.match(await page.locator('.turn.assistant .meta').last().textContent(),
    new RegExp(`${whole.usage.completion_tokens} tokens`));
  assert.equal(await page.locator('#status-text').textContent(), 'Ready');
  await page.screenshot({ path: path.join(SHOTS, 'demo-page.png') });
});

test('Stop ends the answer and the provider sees its connection close', async () => {
  let written = 0;
  const served = fake.on('Keep talking until I stop you.', async (exchange) => {
    exchange.startStream();
    exchange.write(chunk({ role: 'assistant', content: '' }));
    // A provider keeps generating until its peer leaves: a word every 30 ms, at most 1000.
    for (let i = 0; i < 1000 && exchange.write(chunk({ content: `word${i} ` })); i++) {
      written = i + 1;
      await pause(30, exchange.gone);
    }
  });
  const { sent, streams } = requestsToRelay();
  await ask(relay, 'Keep talking until I stop you.');
  await page.waitForFunction(
    () => (document.querySelector('.turn.assistant:last-child .text')?.textContent ?? '')
      .includes('word3 '), null, { timeout: 10_000 });
  assert.equal(await state(), 'streaming');
  await page.getByRole('button', { name: 'Stop generating' }).click();

  const exchange = await served.next();
  const { complete } = await within(5_000, exchange.closed, 'the provider to see the close');
  assert.equal(complete, false, 'the provider saw the connection close mid-answer');
  assert.ok(written < 1000, `the provider stopped after ${written} words`);
  // The answer was resumable, so leaving alone would not have stopped it: DELETE did.
  const [post, ...others] = sent;
  assert.equal(post.headers['x-sluice-resumable'], 'true');
  assert.equal(streams.length, 1);
  assert.deepEqual(others.map((r) => `${r.method} ${r.path}`), [`DELETE /v1/streams/${streams[0]}`]);
  await page.locator('body[data-state="stopped"]').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('.turn.assistant .tag.stopped').textContent(), 'Stopped');
  assert.equal(await page.locator('#status-text').textContent(),
    'Stopped · the partial answer is kept');
  assert.match(await answerText(), /^word0 word1 word2 word3 /);
  assert.ok(await page.getByRole('button', { name: 'Send message' }).isVisible());
});

test('Stop before the first token still stops the provider: the page waits for the stream id',
  async () => {
    const answering = gate();
    const served = fake.on('Stop me before you begin.', async (exchange) => {
      await answering.opened; // no headers yet: Sluice has not named the stream to the page
      exchange.startStream();
      exchange.write(chunk({ role: 'assistant', content: '' }));
      for (let i = 0; i < 1000 && exchange.write(chunk({ content: `word${i} ` })); i++) {
        await pause(30, exchange.gone);
      }
    });
    const { sent } = requestsToRelay();
    await ask(relay, 'Stop me before you begin.');
    const exchange = await served.next();
    const deleted = page.waitForRequest((r) => r.method() === 'DELETE', { timeout: 10_000 });
    await page.getByRole('button', { name: 'Stop generating' }).click();
    await page.waitForFunction(
      () => document.querySelector('#status-text')?.textContent === 'Stopping…');
    answering.open();

    // Well within the 60 s grace period that an abort alone would leave the provider running.
    const { complete } = await within(5_000, exchange.closed, 'the provider to see the close');
    assert.equal(complete, false, 'the provider saw the connection close mid-answer');
    // The page learnt the id from the headers only: the DELETE names a stream of Sluice's.
    assert.match(new URL((await deleted).url()).pathname, /^\/v1\/streams\/[A-Za-z0-9_-]{22,}$/);
    await page.locator('body[data-state="stopped"]').waitFor({ timeout: 5_000 });
    assert.deepEqual(sent.map((r) => r.method), ['POST', 'DELETE']);
  });

test('an upstream error status shows a readable message', async () => {
  fake.on('Is the provider up?', (exchange) => exchange.json(503, {
    error: {
      message: 'The engine is currently overloaded, please try again later.',
      type: 'server_error',
      param: null,
      code: null,
    },
  }));
  await ask(relay, 'Is the provider up?');
  const error = page.locator('.turn.assistant .error');
  await error.waitFor({ timeout: 10_000 });
  assert.equal(await error.locator('.error-title').textContent(), 'HTTP 503 Service Unavailable');
  assert.equal(await error.locator('.error-detail').textContent(),
    'server_error · The engine is currently overloaded, please try again later.');
  assert.equal(await state(), 'error');
  assert.ok(await error.getByRole('button', { name: 'Retry' }).isVisible());
});

test('an upstream failure mid-answer shows a readable message and keeps the text', async () => {
  let pageHasText;
  const shown = new Promise((resolve) => { pageHasText = resolve; });
  fake.on('Tell me a long story.', async (exchange) => {
    exchange.startStream();
    exchange.write(chunk({ content: 'Once upon' }));
    exchange.write(chunk({ content: ' a time' }));
    // A reset drops what Sluice has not read yet, so it waits until the page shows the text.
    await within(10_000, shown, 'the page to show the first words');
    exchange.reset();
  });
  await ask(relay, 'Tell me a long story.');
  await page.waitForFunction(
    () => document.querySelector('.turn.assistant:last-child .text')?.textContent
      === 'Once upon a time', null, { timeout: 10_000 });
  pageHasText();
  const error = page.locator('.turn.assistant .error');
  await error.waitFor({ timeout: 10_000 });
  assert.equal(await error.locator('.error-title').textContent(), 'The answer was interrupted');
  assert.match(await error.locator('.error-detail').textContent(),
    /^upstream_error · upstream stream failed: /);
  assert.equal(await answerText(), 'Once upon a time');
  assert.equal(await state(), 'error');
  await page.screenshot({ path: path.join(SHOTS, 'demo-page-error.png') });
});

test('behind an access file the page asks for a token, retries with it and can forget it',
  async () => {
    const token = 'slc_page-test-token-0123456789abcdef';
    const access = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-page-')),
      'access.properties');
    writeFileSync(access,
      `client.page.token-sha256 = ${createHash('sha256').update(token).digest('hex')}\n`);
    const guarded = await startSluice({ SLUICE_SIMULATED_TOKEN_DELAY: '5ms', SLUICE_ACCESS: access });
    const sent = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/chat/completions')) {
        sent.push(request.headers().authorization ?? null);
      }
    });

    await ask(guarded, 'How does streaming work?');
    const form = page.locator('.turn.assistant .token-form');
    await form.waitFor({ timeout: 10_000 });
    assert.equal(await state(), 'locked');
    assert.equal(await form.locator('.token-title').textContent(),
      'This relay needs an access token');
    assert.match(await form.locator('.token-detail').textContent(), /^Sluice says: .+\. Paste/);
    assert.equal(await page.locator('.turn.assistant .error').count(), 0, 'a form, not an error');
    assert.ok(await page.locator('#forget-token').isHidden(), 'nothing to forget yet');
    const input = form.getByLabel('Access token');
    assert.ok(await input.evaluate((el) => el === document.activeElement), 'the field has focus');
    await page.screenshot({ path: path.join(SHOTS, 'demo-page-token.png') });

    await input.fill('slc_not-a-known-token');
    await input.press('Enter');
    const again = page.locator('.turn.assistant .token-form');
    await page.locator('.token-title', { hasText: 'That access token was not accepted' })
      .waitFor({ timeout: 10_000 });
    assert.equal(await again.count(), 1, 'one form, the failed try replaced');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.token')), null,
      'a refused token is not kept');

    await again.getByLabel('Access token').fill(`Bearer ${token}`);
    await again.getByRole('button', { name: 'Use token' }).click();
    await page.locator('body[data-state="idle"]').waitFor({ timeout: 20_000 });
    assert.match(await answerText(), /^Streaming works like this/);
    assert.equal(await page.locator('.token-form').count(), 0);
    assert.equal(await page.locator('.turn.user').count(), 1, 'the question was asked once');
    assert.deepEqual(sent, [null, 'Bearer slc_not-a-known-token', `Bearer ${token}`]);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.token')), token);
    await page.screenshot({ path: path.join(SHOTS, 'demo-page-token-answered.png') });

    // A reload keeps the tab's token; Forget token drops it and the next question asks again.
    await ask(guarded, 'Hello');
    await page.locator('body[data-state="idle"]').waitFor({ timeout: 20_000 });
    assert.match(await answerText(), /^Hello! I am Sluice's simulated upstream/);
    await page.getByRole('button', { name: 'Forget access token' }).click();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.token')), null);
    assert.ok(await page.locator('#forget-token').isHidden());
    await page.locator('#prompt').fill('And again?');
    await page.locator('#prompt').press('Enter');
    await page.locator('.turn.assistant .token-form').waitFor({ timeout: 10_000 });
    assert.equal(sent.at(-1), null, 'the forgotten token is not sent');
    await page.locator('#prompt').fill('One more?');
    await page.locator('#prompt').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.turn.user').length === 3);
    await page.locator('.turn.assistant .token-form').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.token-form').count(), 1, 'the unanswered form gave way');
  });

// Chromium's network emulation (playwright's setOffline, CDP Network.emulateNetworkConditions and
// emulateNetworkConditionsByRule) fails new requests but leaves a response body that is already
// streaming untouched (Chromium 156), so these tests break the connection where a network
// breaks it: in a TCP proxy between the page and Sluice, which resets it on both sides.

test('a connection cut mid-answer is resumed: the whole answer once, after "reconnecting"',
  async () => {
    const question = 'Tell me a story that survives a dropped connection.';
    const words = ['Once', ' upon', ' a', ' time', ' the', ' network', ' dropped,', ' and',
      ' the', ' story', ' went', ' on.'];
    const cut = gate();
    const resumed = gate();
    const served = fake.on(question, async (exchange) => {
      exchange.startStream();
      exchange.write(chunk({ role: 'assistant', content: '' }));
      for (const word of words.slice(0, 4)) exchange.write(chunk({ content: word }));
      await within(20_000, cut.opened, 'the page to lose its connection');
      // Written while the page has no connection: Sluice keeps them for its resume.
      for (const word of words.slice(4, 8)) exchange.write(chunk({ content: word }));
      await within(20_000, resumed.opened, 'the page to resume');
      for (const word of words.slice(8)) exchange.write(chunk({ content: word }));
      exchange.write(chunk({}, { finish: 'stop' }));
      exchange.write(chunk(null, {
        usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
      }));
      exchange.end(DONE);
    });
    const { sent, streams } = requestsToRelay();
    await ask(proxy, question);
    await shows(words.slice(0, 4).join(''));

    proxy.cut({ down: true });
    await page.locator('body[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    const status = await page.locator('#status').evaluate((el) => ({
      role: el.getAttribute('role'), text: el.textContent.trim(),
    }));
    assert.equal(status.role, 'status');
    assert.match(status.text, /^Connection lost · reconnecting \(try \d of \d\)…$/);
    await page.screenshot({ path: path.join(SHOTS, 'demo-page-reconnecting.png') });
    cut.open();
    // One more try refused after the provider wrote: the page keeps trying, with a wait between.
    const refusedSoFar = await proxy.refusedCount;
    await within(20_000, proxy.refused(refusedSoFar + 1), 'the page to try again');
    proxy.up();

    await shows(words.slice(0, 8).join(''));
    assert.equal(await state(), 'streaming');
    resumed.open();
    await page.locator('body[data-state="idle"]').waitFor({ timeout: 10_000 });
    assert.equal(await answerText(), words.join(''), 'every word once, in order');
    assert.match(await page.locator('.turn.assistant .meta').last().textContent(), /12 tokens/);
    assert.equal(await page.locator('.turn.assistant .error').count(), 0);
    assert.equal(served.count, 1, 'the question was asked once');

    // The page asked for a resumable stream, and resumed after the last event it had: the role
    // chunk and four words are events 1 to 5.
    const [id] = streams;
    assert.match(id, /^[A-Za-z0-9_-]+$/);
    assert.equal(sent[0].method, 'POST');
    assert.equal(sent[0].headers['x-sluice-resumable'], 'true');
    const resumes = sent.filter((r) => r.method === 'GET');
    assert.ok(resumes.length >= 2, `tried ${resumes.length} times`);
    assert.deepEqual(new Set(resumes.map((r) => `${r.path} ${r.headers['last-event-id']}`)),
      new Set([`/v1/streams/${id} ${id}:5`]));
    assert.equal(sent.length, 1 + resumes.length, 'no other request, no DELETE');
  });

test('a resume that Sluice can no longer serve (410) ends the answer with a clear message',
  async () => {
    // Logs that hold 1 KiB in all: the event after the cut is larger, so it is relayed but not
    // kept, and a resume from before it cannot be served.
    const small = await startSluice({
      OPENAI_BASE_URL: fake.baseUrl, SLUICE_DEMO_MODEL: 'page-model', SLUICE_RESUME_MEMORY: '1024',
    });
    const cutOff = await CutProxy.start(small.url);
    try {
      const question = 'Tell me something too long to keep.';
      const cut = gate();
      fake.on(question, async (exchange) => {
        exchange.startStream();
        exchange.write(chunk({ content: 'The start' }));
        await within(20_000, cut.opened, 'the page to lose its connection');
        exchange.write(chunk({ content: ` and then ${'much more '.repeat(150)}` }));
        exchange.end(DONE);
      });
      await ask(cutOff, question);
      await shows('The start');
      cutOff.cut({ down: true });
      await page.locator('body[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
      cut.open();
      // The stream's transcript is logged when Sluice has relayed it to its end, into the log.
      await within(20_000, small.logged(/"outcome":"done"/), 'Sluice to finish the stream');
      cutOff.up();

      const error = page.locator('.turn.assistant .error');
      await error.waitFor({ timeout: 20_000 });
      assert.equal(await error.locator('.error-title').textContent(),
        'The answer could not be resumed');
      assert.equal(await error.locator('.error-detail').textContent(),
        'HTTP 410 · Sluice no longer holds the rest of this answer. The part shown is kept.');
      assert.equal(await answerText(), 'The start');
      assert.equal(await state(), 'error');
      assert.equal(await page.locator('#status-text').textContent(),
        'The answer could not be resumed');
    } finally {
      await teardown(() => cutOff.close(), () => small.stop());
    }
  });
