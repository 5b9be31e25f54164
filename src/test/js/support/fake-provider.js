// A fake provider on a loopback ephemeral port, speaking OpenAI's or Anthropic's API as each
// test's script writes it. A test registers its script under a key, the `model` its request names
// (or, for the demo page, which always asks for one model, the question it sends), and gets back
// every exchange it served: the request and a promise that settles when Sluice lets go of it.

import http from 'node:http';

export const CHUNK_BASE = {
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  created: 1700000000,
  model: 'fake-model',
};

/** One OpenAI stream chunk as an SSE event; `delta` null makes the usage-only last chunk. */
export function chunk(delta, { finish = null, usage } = {}) {
  const body = { ...CHUNK_BASE, choices: [] };
  if (delta) body.choices.push({ index: 0, delta, logprobs: null, finish_reason: finish });
  if (usage !== undefined) body.usage = usage;
  return `data: ${JSON.stringify(body)}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';

export class FakeProvider {
  #server;
  #scripts = new Map();
  #failures = [];

  static async start() {
    const fake = new FakeProvider();
    await new Promise((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(0, '127.0.0.1', resolve);
    });
    return fake;
  }

  constructor() {
    this.#server = http.createServer((req, res) => this.#serve(req, res));
  }

  /** The base URL to give Sluice as OPENAI_BASE_URL. */
  get baseUrl() {
    return `${this.origin}/v1`;
  }

  /** The bare origin, as ANTHROPIC_BASE_URL takes it. */
  get origin() {
    return `http://127.0.0.1:${this.#server.address().port}`;
  }

  /** Errors thrown by scripts: a script that fails must fail its test. */
  get failures() {
    return this.#failures;
  }

  /**
   * Serves requests under `key` with `script(exchange)`; the exchanges it serves are returned,
   * `next()` resolving with each in turn as it starts.
   */
  on(key, script) {
    const served = new Served();
    this.#scripts.set(key, (exchange) => {
      served.add(exchange);
      return script(exchange);
    });
    return served;
  }

  async #serve(req, res) {
    let raw = '';
    req.setEncoding('utf8');
    for await (const part of req) raw += part;
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = {};
    }
    const question = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content;
    const script = this.#scripts.get(body.model) ?? this.#scripts.get(question);
    if (!script) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no script for ${body.model}`, type: 'test' } }));
      return;
    }
    const exchange = new Exchange(req, res, body);
    try {
      await script(exchange);
    } catch (err) {
      if (!exchange.gone.aborted) this.#failures.push(err);
      res.destroy();
    }
  }

  async close() {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** The exchanges one script has served. */
class Served {
  #all = [];
  #taken = 0;
  #waiting = [];

  add(exchange) {
    this.#all.push(exchange);
    this.#waiting.shift()?.(exchange);
  }

  get count() {
    return this.#all.length;
  }

  /** The next exchange not yet taken, once it has started. */
  next() {
    const index = this.#taken++;
    if (index < this.#all.length) return Promise.resolve(this.#all[index]);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** One request and the response being written to it. */
class Exchange {
  #res;
  #gone = new AbortController();

  constructor(req, res, body) {
    this.headers = req.headers;
    this.body = body;
    this.#res = res;
    /** Settles when the connection closes; `complete` says whether the response had ended. */
    this.closed = new Promise((resolve) => {
      res.on('close', () => {
        if (!res.writableFinished) this.#gone.abort();
        resolve({ complete: res.writableFinished });
      });
    });
  }

  /** Aborts when Sluice lets go of the exchange before the response is complete. */
  get gone() {
    return this.#gone.signal;
  }

  /** Starts an event stream (chunked, written as it comes). */
  startStream(headers = {}) {
    this.#res.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
    this.#res.flushHeaders();
    return this;
  }

  /** Writes raw bytes of the body now; false once Sluice has gone. */
  write(text) {
    if (this.#gone.signal.aborted || this.#res.destroyed) return false;
    this.#res.write(text);
    return true;
  }

  end(text) {
    this.#res.end(text);
  }

  /** A whole JSON answer with a status. */
  json(status, value, headers = {}) {
    const text = JSON.stringify(value);
    this.#res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    this.#res.end(text);
  }

  /** Drops the connection mid-body, as a crashed provider or a cut network does. */
  reset() {
    this.#res.socket.resetAndDestroy();
  }
}
