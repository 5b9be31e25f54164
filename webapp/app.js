// The Sluice demo page: one conversation, streamed from the relay and shown as it arrives.
// Every URL is relative, so the page works under any context path (/, /sluice/, ...).

import { SseParser } from './sse.js';

const $ = (id) => document.getElementById(id);
const ui = {
  transcript: $('transcript'),
  turns: $('turns'),
  welcome: $('welcome'),
  form: $('composer'),
  prompt: $('prompt'),
  send: $('send'),
  sendLabel: document.querySelector('#send .send-label'),
  statusText: $('status-text'),
  hint: $('hint'),
  upstream: $('upstream'),
  notice: $('simulated'),
  newChat: $('new-chat'),
  forgetToken: $('forget-token'),
  jump: $('jump'),
};

const HINT_IDLE = ui.hint.textContent;
const HINT_BUSY = 'Esc to stop';
// HTTP/2 responses carry no reason phrase; these read better than a bare number.
const REASON = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 410: 'Gone', 413: 'Payload Too Large', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};
const touch = matchMedia('(pointer: coarse)');
// Answers are resumable streams: a connection that breaks mid-answer is picked up where it broke,
// tried this many times, waiting 0.25 s, 0.5 s, 1 s, ... (at most 8 s) before each try.
const RESUME_TRIES = 6;
const RESUME_FIRST_WAIT = 250;
const RESUME_LONGEST_WAIT = 8000;
// Stop before Sluice has answered waits this long for the stream's id, to stop it there.
const STOP_WAIT = 3000;

let conversation = [];   // OpenAI messages; replaced, never cleared, so a late answer can't leak in
let model = null;        // from sluice/info; null leaves the choice to the relay
let current = null;      // { controller, stream, sent, named, stopping } while one is in flight
let pinned = true;       // follow new text unless the reader scrolled up
let lastScrollTop = 0;

// ---------- access token: asked for when the relay answers 401, kept for this tab only

const TOKEN_KEY = 'sluice.token';
let token = readToken();  // also kept here, for a browser that refuses sessionStorage

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function keepToken(value) {
  token = value;
  try {
    if (value === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  } catch {
    // Storage is off (a private window, a policy): the token lasts as long as the page.
  }
  ui.forgetToken.hidden = value === null;
}

ui.forgetToken.hidden = token === null;

// ---------- relay info

async function loadInfo() {
  try {
    const res = await fetch('sluice/info', {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const info = await res.json();
    if (typeof info?.model === 'string' && info.model.trim()) model = info.model.trim();
    showUpstream(info?.simulated === true ? 'simulated' : 'live');
  } catch {
    showUpstream('unknown');
  }
}

function showUpstream(kind) {
  ui.upstream.dataset.kind = kind;
  ui.notice.hidden = kind !== 'simulated';
  const name = document.createElement('span');
  name.className = 'pill-name';
  name.textContent = model ?? (kind === 'unknown' ? 'Model unknown' : 'default model');
  ui.upstream.replaceChildren(name);
  if (kind === 'simulated') {
    const extra = document.createElement('span');
    extra.className = 'pill-extra';
    extra.textContent = '· simulated';
    ui.upstream.append(extra);
  }
  ui.upstream.title = {
    simulated: 'Simulated upstream: answers are canned',
    live: 'Upstream model',
    unknown: 'The relay did not describe its upstream',
  }[kind];
}

// ---------- state

function setState(state, text) {
  document.body.dataset.state = state;
  ui.statusText.textContent = text;
}

function setBusy(busy) {
  ui.prompt.disabled = busy;
  ui.turns.setAttribute('aria-busy', String(busy));
  ui.send.classList.toggle('stop', busy);
  ui.send.setAttribute('aria-label', busy ? 'Stop generating' : 'Send message');
  ui.sendLabel.textContent = busy ? 'Stop' : 'Send';
  ui.hint.textContent = busy ? HINT_BUSY : HINT_IDLE;
  updateControls();
  if (!busy) {
    ui.jump.hidden = true;
    const lost = document.activeElement === document.body || document.activeElement === ui.send;
    if (lost && !touch.matches) ui.prompt.focus();
  }
}

function updateControls() {
  ui.send.disabled = !current && ui.prompt.value.trim() === '';
  ui.newChat.disabled = !current && conversation.length === 0 && ui.welcome.isConnected;
}

// ---------- transcript

function addTurn(role, label) {
  const article = document.createElement('article');
  article.className = `turn ${role}`;
  const who = document.createElement('h2');
  who.className = 'who';
  who.textContent = label;
  const text = document.createElement('div');
  text.className = 'text';
  article.append(who, text);
  ui.welcome.remove();
  ui.turns.append(article);
  return { article, text };
}

/** The assistant's turn: text appended as it streams, then a footnote. */
function answerView() {
  const { article, text } = addTurn('assistant', 'Assistant');
  article.classList.add('streaming');
  const waiting = document.createElement('div');
  waiting.className = 'waiting';
  waiting.setAttribute('aria-hidden', 'true');
  waiting.append(document.createElement('i'), document.createElement('i'),
    document.createElement('i'));
  article.append(waiting);
  let node = null;
  let blank = true;

  return {
    article,
    append(delta) {
      // Leading newlines some models send would only push the answer down.
      if (blank) {
        delta = delta.replace(/^\s+/, '');
        if (!delta) return;
        blank = false;
        waiting.remove();
        node = document.createTextNode('');
        text.append(node);
      }
      node.appendData(delta); // text, never markup: model output is not trusted HTML
      follow();
    },
    finish({ stopped, error, meta, retry, token: asked }) {
      article.classList.remove('streaming');
      waiting.remove();
      const foot = document.createElement('div');
      foot.className = 'footnote';
      if (stopped) {
        const tag = document.createElement('span');
        tag.className = 'tag stopped';
        tag.textContent = blank ? 'Stopped before the first token' : 'Stopped';
        foot.append(tag);
      }
      if (meta.length) {
        const line = document.createElement('p');
        line.className = 'meta';
        for (const part of meta) {
          const span = document.createElement('span');
          span.textContent = part;
          line.append(span);
        }
        foot.append(line);
      }
      if (foot.childElementCount) article.append(foot);
      if (asked) article.append(tokenForm(error, asked.rejected, retry));
      else if (error) article.append(errorBox(error, retry));
      follow();
    },
  };
}

let tokenFields = 0;

/** The form that asks for an access token, in place of an error, and retries with it. */
function tokenForm({ detail }, rejected, retry) {
  const form = document.createElement('form');
  form.className = 'token-form';
  form.noValidate = true;
  const head = document.createElement('p');
  head.className = 'token-title';
  head.textContent = rejected ? 'That access token was not accepted' : 'This relay needs an access token';
  const why = document.createElement('p');
  why.className = 'token-detail';
  const said = (detail ?? '').trim().replace(/\.$/, '');
  why.textContent = `${said ? `Sluice says: ${said}. ` : ''}Paste a client token or a `
    + 'sign-in token (JWT). It is kept in this tab only and sent as a bearer token.';
  const row = document.createElement('div');
  row.className = 'token-row';
  const id = `token-${++tokenFields}`;
  const label = document.createElement('label');
  label.className = 'visually-hidden';
  label.htmlFor = id;
  label.textContent = 'Access token';
  const input = document.createElement('input');
  input.id = id;
  input.type = 'password';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.placeholder = 'Access token';
  const use = document.createElement('button');
  use.type = 'submit';
  use.className = 'token-use';
  use.textContent = 'Use token';
  const problem = document.createElement('p');
  problem.className = 'token-problem';
  problem.setAttribute('role', 'alert');
  row.append(label, input, use);
  form.append(head, why, row, problem);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim().replace(/^Bearer\s+/i, '');
    // A header value is visible ASCII: anything else would fail in fetch, not at the relay.
    if (!/^[\x21-\x7e]+$/.test(value)) {
      problem.textContent = value ? 'A token has no spaces or non-ASCII characters.'
        : 'Enter a token first.';
      input.focus();
      return;
    }
    keepToken(value);
    retry?.();
  });
  return form;
}

function errorBox({ title, detail, kind }, retry) {
  const box = document.createElement('div');
  box.className = 'error';
  const head = document.createElement('p');
  head.className = 'error-title';
  head.textContent = title;
  box.append(head);
  if (detail || kind) {
    const body = document.createElement('p');
    body.className = 'error-detail';
    if (kind) {
      const code = document.createElement('span');
      code.className = 'error-kind';
      code.textContent = detail ? `${kind} · ` : kind;
      body.append(code);
    }
    body.append(document.createTextNode(detail));
    box.append(body);
  }
  if (retry) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'ghost retry';
    button.textContent = 'Retry';
    button.addEventListener('click', retry);
    box.append(button);
  }
  return box;
}

// ---------- scrolling: follow the answer unless the reader scrolled up to read

let followQueued = false;

function follow() {
  if (followQueued) return;
  followQueued = true;
  requestAnimationFrame(() => {
    followQueued = false;
    if (pinned) ui.transcript.scrollTop = ui.transcript.scrollHeight;
    else if (current) ui.jump.hidden = false;
  });
}

ui.transcript.addEventListener('scroll', () => {
  const t = ui.transcript;
  const top = t.scrollTop;
  // Growth never moves scrollTop, so only a move up by the reader unpins.
  if (t.scrollHeight - top - t.clientHeight < 32) pinned = true;
  else if (top < lastScrollTop) pinned = false;
  lastScrollTop = top;
  if (pinned) ui.jump.hidden = true;
}, { passive: true });

ui.jump.addEventListener('click', () => {
  pinned = true;
  ui.jump.hidden = true;
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
});

// ---------- one exchange

function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

class RelayError extends Error {
  constructor(title, detail = '', kind = '', status = 0) {
    super(title);
    this.view = { title, detail, kind };
    this.status = status;
  }
}

async function httpError(res) {
  const reason = res.statusText || REASON[res.status] || '';
  const title = `HTTP ${res.status}${reason ? ` ${reason}` : ''}`;
  let raw = '';
  try {
    raw = await res.text();
  } catch {
    // The body is a courtesy; the status alone still explains the failure.
  }
  try {
    const body = JSON.parse(raw);
    const err = body?.error;
    if (err && typeof err === 'object') {
      return new RelayError(title, String(err.message ?? ''), String(err.type ?? err.code ?? ''),
        res.status);
    }
    if (typeof err === 'string') return new RelayError(title, err, '', res.status);
    if (typeof body?.message === 'string') {
      return new RelayError(title, body.message, '', res.status);
    }
  } catch {
    // Not JSON: plain text is worth showing, an HTML error page is not.
    const html = /html/i.test(res.headers.get('content-type') ?? '') || /^\s*</.test(raw);
    if (!html && raw.trim()) {
      const text = raw.trim();
      return new RelayError(title, text.length > 300 ? `${text.slice(0, 300)}…` : text, '',
        res.status);
    }
  }
  return new RelayError(title, 'The relay gave no further detail.', '', res.status);
}

/** Auth headers for `sent`, the token a request goes out with (null: none). */
const bearer = (sent) => (sent !== null ? { Authorization: `Bearer ${sent}` } : {});

/** The response's body as text, fed to `parser` until `finished()` or the end of the body. */
async function drain(res, parser, finished) {
  // Keep the byte order mark: the parser drops exactly one, as the format requires.
  const reader = res.body
    .pipeThrough(new TextDecoderStream('utf-8', { ignoreBOM: true }))
    .getReader();
  try {
    while (!finished()) {
      const { value, done: eof } = await reader.read();
      if (eof) break;
      parser.feed(value);
    }
  } finally {
    // An event cut off by a broken connection is dropped whole; a resume sends it again.
    parser.end();
  }
  if (finished()) reader.cancel().catch(() => {});
}

function expectEvents(res) {
  const type = res.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('text/event-stream') || !res.body) {
    throw new RelayError('Unexpected response', `Expected an event stream, got ${type || 'no content type'}.`);
  }
}

/** Waits before resume try `attempt`, less when the browser comes back online; rejects on Stop. */
function backoff(attempt, signal) {
  const base = Math.min(RESUME_LONGEST_WAIT, RESUME_FIRST_WAIT * 2 ** (attempt - 1));
  const ms = base * (0.8 + Math.random() * 0.4); // jitter: pages cut off together come back apart
  return new Promise((resolve, reject) => {
    const go = () => {
      clearTimeout(timer);
      removeEventListener('online', go);
      signal.removeEventListener('abort', go);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(go, ms);
    addEventListener('online', go);
    signal.addEventListener('abort', go);
  });
}

/**
 * Reopens stream `id` after `lastEventId` (GET v1/streams/{id}): the response that continues
 * it, or a RelayError when Sluice no longer has it or every try failed.
 */
async function resume(id, lastEventId, signal, sent) {
  for (let attempt = 1; attempt <= RESUME_TRIES; attempt++) {
    setState('reconnecting', `Connection lost · reconnecting (try ${attempt} of ${RESUME_TRIES})…`);
    await backoff(attempt, signal);
    let res;
    try {
      res = await fetch(`v1/streams/${encodeURIComponent(id)}`, {
        headers: {
          Accept: 'text/event-stream',
          ...(lastEventId && { 'Last-Event-ID': lastEventId }),
          ...bearer(sent),
        },
        cache: 'no-store',
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      continue; // still no network: try again
    }
    if (res.ok) {
      expectEvents(res);
      return res;
    }
    if (res.status === 404 || res.status === 410) {
      res.body?.cancel().catch(() => {});
      throw new RelayError('The answer could not be resumed', res.status === 410
        ? 'Sluice no longer holds the rest of this answer. The part shown is kept.'
        : 'Sluice no longer knows this answer (it may have restarted). The part shown is kept.',
      `HTTP ${res.status}`, res.status);
    }
    if (res.status === 429 || res.status >= 500) {
      res.body?.cancel().catch(() => {});
      continue; // a proxy or Sluice itself not ready yet
    }
    throw await httpError(res);
  }
  throw new RelayError('The connection was lost', `Sluice could not be reached again after `
    + `${RESUME_TRIES} tries. The part shown is kept.`);
}

/** Stops stream `id` at Sluice: aborting the fetch alone would leave it running for a resume. */
function cancelStream(id, sent) {
  fetch(`v1/streams/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: bearer(sent),
    keepalive: true, // sent even if the page is closing
  }).catch(() => {
    // Unreachable: Sluice cancels it anyway once its grace period passes with no reader.
  });
}

async function ask() {
  const history = conversation;
  const controller = new AbortController();
  const sent = token;
  current = { controller, stream: null, sent, named: false, stopping: null };
  const view = answerView();
  for (const old of ui.turns.querySelectorAll('.retry')) old.remove();
  // An unanswered token form holds no answer: the next question asks again if need be.
  for (const old of ui.turns.querySelectorAll('.token-form')) old.closest('.turn').remove();
  pinned = true;
  follow();
  setBusy(true);
  setState('waiting', 'Waiting for the first token…');

  const started = performance.now();
  let answer = '';
  let firstToken = null;
  let usage = null;
  let finishReason = null;
  let inBand = null;
  let done = false;
  let outcome;

  try {
    if (model === null) await loadInfo();
    let res = await fetch('v1/chat/completions', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'text/event-stream',
        'X-Sluice-Resumable': 'true',
        ...bearer(sent),
      },
      body: JSON.stringify({
        ...(model && { model }),
        messages: history,
        stream: true,
        stream_options: { include_usage: true },
      }),
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!res.ok) throw await httpError(res);
    expectEvents(res);
    const stream = res.headers.get('X-Sluice-Stream-Id');
    if (current?.controller === controller) {
      current.stream = stream;
      current.named = true;
      if (current.stopping !== null) stop(); // Stop came first: now it can reach the stream
    }

    const parser = new SseParser((event) => {
      if (done || event.type !== 'message') return;
      if (event.data === '[DONE]') {
        done = true;
        return;
      }
      let chunk;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        return; // not a chunk: nothing to show
      }
      if (chunk?.error) {
        inBand = chunk.error;
        return;
      }
      const choice = chunk?.choices?.[0];
      const delta = choice?.delta?.content ?? choice?.delta?.refusal;
      if (typeof delta === 'string' && delta !== '') {
        if (firstToken === null) {
          firstToken = performance.now() - started;
          setState('streaming', 'Streaming…');
        }
        answer += delta;
        view.append(delta);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk?.usage) usage = chunk.usage;
    });

    for (;;) {
      try {
        await drain(res, parser, () => done);
        break; // the answer's end, or a body that ended without one (said below)
      } catch (err) {
        // Only a broken connection is resumed: not Stop, not a stream Sluice did not name.
        if (controller.signal.aborted || stream === null) throw err;
      }
      res = await resume(stream, parser.lastEventId, controller.signal, sent);
      setState(firstToken === null ? 'waiting' : 'streaming',
        firstToken === null ? 'Waiting for the first token…' : 'Streaming…');
    }

    if (inBand) {
      const message = typeof inBand === 'object' ? String(inBand.message ?? '') : String(inBand);
      const kind = typeof inBand === 'object' ? String(inBand.type ?? inBand.code ?? '') : '';
      outcome = { error: { title: 'The answer was interrupted', detail: message, kind } };
    } else if (!done) {
      outcome = {
        error: {
          title: 'The stream ended early',
          detail: 'The connection closed before the answer was complete.',
        },
      };
    } else {
      outcome = {};
    }
  } catch (err) {
    if (controller.signal.aborted) outcome = { stopped: true };
    else if (err instanceof RelayError && err.status === 401) {
      // A token that was refused is forgotten: keeping it would only be refused again.
      if (sent !== null && token === sent) keepToken(null);
      outcome = { error: err.view, token: { rejected: sent !== null } };
    } else if (err instanceof RelayError) outcome = { error: err.view };
    else {
      outcome = {
        error: {
          title: 'Could not reach Sluice',
          detail: navigator.onLine === false
            ? 'This device is offline.'
            : 'The connection failed. Check that the relay is running.',
        },
      };
    }
  }

  const meta = [];
  if (firstToken !== null) meta.push(`first token ${formatMs(firstToken)}`);
  const tokens = usage?.completion_tokens;
  if (Number.isFinite(tokens)) meta.push(`${tokens} ${tokens === 1 ? 'token' : 'tokens'}`);
  if (firstToken !== null) meta.push(`${formatMs(performance.now() - started)} total`);
  if (finishReason === 'length') meta.push('cut off at the length limit');
  if (finishReason === 'content_filter') meta.push('cut off by the content filter');

  // What the reader sees is what the model will see: partial answers stay in the history.
  const kept = answer !== '';
  if (kept) history.push({ role: 'assistant', content: answer });

  const retry = outcome.error && history === conversation
    ? () => {
        if (current || history !== conversation) return;
        if (kept) history.pop();
        view.article.remove();
        ask();
      }
    : null;
  view.finish({ ...outcome, meta, retry });

  if (current?.controller === controller) current = null;
  if (history !== conversation) return; // a new chat began while this one was ending
  setBusy(false);
  if (outcome.stopped) setState('stopped', kept ? 'Stopped · the partial answer is kept' : 'Stopped');
  else if (outcome.token) {
    setState('locked', 'An access token is needed');
    view.article.querySelector('.token-form input')?.focus();
  } else if (outcome.error) setState('error', outcome.error.title);
  else setState('idle', 'Ready');
}

// ---------- input

function submit(text) {
  const content = text.trim();
  if (!content || current) return;
  conversation.push({ role: 'user', content });
  addTurn('user', 'You').text.textContent = content;
  ui.prompt.value = '';
  resizePrompt();
  ask();
}

function stop() {
  if (!current) return;
  if (!current.named && current.stopping === null) {
    // Sluice names a stream with its answer's headers; aborting before them would leave it
    // generating for a resume nobody can make. Wait for them a little, unless asked again.
    current.stopping = setTimeout(() => current?.controller.abort(), STOP_WAIT);
    setState('waiting', 'Stopping…');
    return;
  }
  clearTimeout(current.stopping ?? undefined);
  current.controller.abort();
  if (current.stream !== null) cancelStream(current.stream, current.sent);
}

// Closing or reloading the page mid-answer stops the stream: no page will resume it.
window.addEventListener('pagehide', () => {
  if (current?.stream) cancelStream(current.stream, current.sent);
});

function newChat() {
  stop();
  current = null;
  conversation = [];
  ui.turns.replaceChildren(ui.welcome);
  pinned = true;
  ui.transcript.scrollTop = 0;
  setBusy(false);
  setState('idle', 'Ready');
  ui.prompt.focus();
}

function resizePrompt() {
  ui.prompt.style.height = 'auto';
  ui.prompt.style.height = `${ui.prompt.scrollHeight}px`;
  updateControls();
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (current) stop();
  else submit(ui.prompt.value);
});

ui.prompt.addEventListener('keydown', (e) => {
  // isComposing: Enter that confirms an input-method candidate must not send.
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    submit(ui.prompt.value);
  }
});

ui.prompt.addEventListener('input', resizePrompt);

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && current) {
    e.preventDefault();
    stop();
  }
});

ui.newChat.addEventListener('click', newChat);

ui.forgetToken.addEventListener('click', () => {
  keepToken(null);
  if (!current) setState('idle', 'Access token forgotten');
  ui.prompt.focus();
});

ui.turns.addEventListener('click', (e) => {
  const button = e.target.closest('.suggestion');
  if (button) submit(button.textContent);
});

addEventListener('offline', () => {
  if (!current) setState('offline', 'Offline · waiting for the network');
});

addEventListener('online', () => {
  if (!current && document.body.dataset.state === 'offline') setState('idle', 'Back online');
});

if (navigator.onLine === false) setState('offline', 'Offline · waiting for the network');
updateControls();
loadInfo();
