// Sluice as users run it: `java -jar target/sluice.jar` in its own process, on a loopback port
// it picks itself, found from its start-up log line.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { teardown, within } from './flow.js';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const JAR = path.join(ROOT, 'target', 'sluice.jar');
const LISTENING = /Sluice is listening on (http:\/\/127\.0\.0\.1:\d+\/)/;

const running = new Set();
// Whatever happens to a test file, no Sluice outlives it.
process.on('exit', () => {
  for (const sluice of running) sluice.kill();
});

/**
 * Starts Sluice with `env` over a clean environment: no provider key of the machine's leaks in,
 * no retries (tests see each upstream answer as it was) and a short shutdown grace.
 */
export async function startSluice(env = {}) {
  if (!existsSync(JAR)) throw new Error(`${JAR} is missing: run 'make build' first`);
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const child = spawn(java, ['-jar', JAR], {
    env: {
      PATH: process.env.PATH,
      SLUICE_HOST: '127.0.0.1',
      SLUICE_PORT: '0',
      SLUICE_RETRIES: '0',
      SLUICE_SHUTDOWN_GRACE: '1s',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let watches = [];  // { pattern, resolve } until the log matches pattern
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const sluice = {
    url: null,
    /** Everything Sluice has logged so far. */
    log: () => log,
    /** Resolves once the log matches `pattern`: Sluice said it did something. */
    logged(pattern) {
      if (pattern.test(log)) return Promise.resolve();
      return new Promise((resolve) => watches.push({ pattern, resolve }));
    },
    kill: () => child.kill('SIGKILL'),
    async stop() {
      running.delete(sluice);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await within(15_000, exited, 'Sluice to stop').catch((err) => {
        child.kill('SIGKILL');
        throw err;
      });
    },
  };
  running.add(sluice);
  const listening = new Promise((resolve, reject) => {
    const read = (text) => {
      log += text;
      watches = watches.filter((w) => !w.pattern.test(log) || w.resolve());
      const found = LISTENING.exec(log);
      if (found) resolve(found[1]);
    };
    child.stdout.setEncoding('utf8').on('data', read);
    child.stderr.setEncoding('utf8').on('data', read);
    child.once('error', reject);
    exited.then((code) => reject(new Error(`Sluice exited (${code}) before listening:\n${log}`)));
  });
  try {
    sluice.url = await within(60_000, listening, 'Sluice to start');
  } catch (err) {
    await sluice.stop().catch(() => {});
    throw err;
  }
  return sluice;
}

/** Stops every Sluice this file started, even if one of them fails to stop. */
export function stopAll() {
  return teardown(...[...running].map((sluice) => () => sluice.stop()));
}
