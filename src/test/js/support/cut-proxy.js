// A TCP proxy on a loopback ephemeral port between a client and Sluice, which a test cuts as a
// dropped network would: every connection through it is reset on both sides at once, and while
// it is down each new connection is reset as soon as it opens.

import net from 'node:net';

export class CutProxy {
  #server;
  #target;
  #open = new Set();
  #down = false;
  #refused = 0;
  #waiting = [];

  /** A proxy to `target`, an http://127.0.0.1:port/ URL. */
  static async start(target) {
    const proxy = new CutProxy(new URL(target));
    await new Promise((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  constructor(target) {
    this.#target = target;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** The proxy's base URL, in place of Sluice's. */
  get url() {
    return `http://127.0.0.1:${this.#server.address().port}/`;
  }

  /** Resets every open connection; with `down`, refuses new ones until up(). */
  cut({ down = false } = {}) {
    this.#down = down;
    for (const socket of this.#open) socket.resetAndDestroy();
    this.#open.clear();
  }

  up() {
    this.#down = false;
  }

  /** How many connections have been refused while down. */
  get refusedCount() {
    return this.#refused;
  }

  /** Resolves once `count` connections in all have been refused while down. */
  refused(count) {
    if (this.#refused >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ count, resolve }));
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client) {
    if (this.#down) {
      client.resetAndDestroy();
      this.#refused += 1;
      this.#waiting = this.#waiting.filter((w) => w.count > this.#refused || w.resolve());
      return;
    }
    const server = net.connect(Number(this.#target.port), this.#target.hostname);
    for (const [from, to] of [[client, server], [server, client]]) {
      this.#open.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.#open.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  }
}
