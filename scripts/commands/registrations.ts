// minitwit bench registrations [--api URL] [--burst N]
// Registrations are bound by the password hash (argon2id). Measures the hashes per second one core makes
// (in this process, with the app's settings), then, against a running API, what a burst of N concurrent
// registrations costs the other requests: a probe reading GET /msgs?no=100 one request after another,
// before and during the burst.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hashPassword, setHashConcurrency } from '../../src/passwords.js';
import { call, sleep } from '../lib/http.js';
import { percentiles } from '../lib/stats.js';
import { defineCommand, positiveInteger } from '../lib/command.js';

const USAGE = `Usage: minitwit bench registrations [--api URL] [--burst N] [--seconds S]

1. argon2id hashes per second in this process, one at a time (one core) and as many at once as there are
   cores, for S seconds each (default 3);
2. against the simulator API at --api (default http://127.0.0.1:5001): a probe (GET /msgs?no=100, one at a
   time) for S seconds alone, then during a burst of N (default 64) concurrent POST /register: the probe's
   latency both times, the burst's duration (registrations per second) and its latencies.`;

async function hashesPerSecond(atOnce: number, seconds: number): Promise<number> {
  setHashConcurrency(atOnce);
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      while (performance.now() < end) {
        await hashPassword('correct horse battery staple');
        done++;
      }
    }),
  );
  return done / seconds;
}

async function probe(url: string, until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!until()) {
    const start = performance.now();
    await call(url);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

export const run = defineCommand(
  {
    name: 'registrations',
    summary: 'password hashes a second, and what a burst of registrations costs other requests',
    usage: USAGE,
    options: {
      api: { type: 'string', default: 'http://127.0.0.1:5001' },
      burst: { type: 'string' },
      seconds: { type: 'string' },
    },
  },
  async ({ values }, io) => {
    const burst = positiveInteger(values.burst, '--burst', 64);
    const seconds = positiveInteger(values.seconds, '--seconds', 3);
    const cores = availableParallelism();
    const one = await hashesPerSecond(1, seconds);
    const all = await hashesPerSecond(cores, seconds);
    io.out(
      `argon2id hashes/s: ${one.toFixed(1)} one at a time (one core); ${all.toFixed(1)} with ${cores} at once (${cores} cores)`,
    );

    const api = values.api;
    const list = `${api}/msgs?no=100`;
    const quietEnd = performance.now() + seconds * 1000;
    const quiet = percentiles(await probe(list, () => performance.now() > quietEnd));
    const run = randomBytes(4).toString('hex');
    let finished = false;
    const registrations: number[] = [];
    const statuses = new Map<number, number>();
    const started = performance.now();
    const during = probe(list, () => finished);
    await Promise.all(
      Array.from({ length: burst }, async (_, i) => {
        const start = performance.now();
        const reply = await call(`${api}/register`, 'POST', {
          username: `burst ${run} ${i}`,
          email: `b${i}@example.com`,
          pwd: 'x',
        });
        registrations.push(performance.now() - start);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }),
    );
    const duration = (performance.now() - started) / 1000;
    finished = true;
    const busy = percentiles(await during);
    await sleep(10);
    const r = percentiles(registrations);
    io.out(
      `burst of ${burst} registrations: ${duration.toFixed(2)} s (${(burst / duration).toFixed(1)}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    io.out(`  each registration ms: p50 ${r.p50}, p99 ${r.p99}, max ${r.max}`);
    io.out(
      `probe GET /msgs?no=100 ms, alone:            n ${quiet.n}, p50 ${quiet.p50}, p99 ${quiet.p99}, max ${quiet.max}`,
    );
    io.out(
      `probe GET /msgs?no=100 ms, during the burst: n ${busy.n}, p50 ${busy.p50}, p99 ${busy.p99}, max ${busy.max}`,
    );
    return statuses.get(204) === burst ? 0 : 1;
  },
);
