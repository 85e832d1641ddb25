// minitwit bench soak [--api URL] [--metrics URL] [--minutes M] [--workers W]
// A mixed load for M minutes (reads of many different lists and pages, posts, follows, unfollows), sent by
// autocannon, while the app's resident memory and heap are sampled from its /metrics: every cache is
// bounded, so memory must level off, not grow with time.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { measureLoad, type LoadRequest } from '../benchmark/load.js';
import { call, sleep } from '../lib/http.js';
import { defineCommand, positiveInteger } from '../lib/command.js';
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';

const USAGE = `Usage: minitwit bench soak [--api URL] [--metrics URL] [--minutes M] [--workers W] [--users N]

Against the simulator API at --api (default http://127.0.0.1:5001), W connections (default 16) of
autocannon for M minutes (default 10) send a mix: lists with many different ?no= (many cache entries),
users' lists and follows, posts, follows and unfollows among N users (default 500, registered first); each
connection repeats a sequence of 1,000 requests of its own. Every 10 s, the app's process_resident_memory_bytes and nodejs_heap_size_used_bytes are read from
--metrics (default http://127.0.0.1:9464/metrics) and printed; at the end, the series' first, highest and
last values.`;

async function sample(metrics: string): Promise<{ rss: number; heap: number }> {
  const text = (await call(metrics)).text;
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: value('process_resident_memory_bytes'), heap: value('nodejs_heap_size_used_bytes') };
}

export const run = defineCommand(
  {
    name: 'soak',
    summary: "a mixed load for minutes while the app's memory is sampled (it must level off)",
    usage: USAGE,
    options: {
      api: { type: 'string', default: 'http://127.0.0.1:5001' },
      metrics: { type: 'string', default: 'http://127.0.0.1:9464/metrics' },
      minutes: { type: 'string' },
      workers: { type: 'string' },
      users: { type: 'string' },
    },
  },
  async ({ values }, io) => {
    const minutes = positiveInteger(values.minutes, '--minutes', 10);
    const workers = positiveInteger(values.workers, '--workers', 16);
    const count = positiveInteger(values.users, '--users', 500);
    const api = values.api;
    const tag = randomBytes(3).toString('hex');
    const users = Array.from({ length: count }, (_, i) => encodeURIComponent(`soak ${tag} ${i}`));
    for (let i = 0; i < count; i += 8)
      await Promise.all(
        users.slice(i, i + 8).map((u) =>
          call(`${api}/register`, 'POST', {
            username: decodeURIComponent(u),
            email: 'soak@example.com',
            pwd: 'x',
          }),
        ),
      );
    const pick = () => users[Math.floor(Math.random() * users.length)]!;
    const headers = { 'content-type': 'application/json', authorization: SIMULATOR_AUTHORIZATION };
    // Each connection sends a sequence of its own, over and over: many distinct lists and pages (many
    // cache entries), posts, follows and unfollows, in the proportions the simulator sends them.
    const request = (): LoadRequest => {
      const roll = Math.random();
      const no = 1 + Math.floor(Math.random() * 200);
      const [user, other] = [pick(), pick()];
      if (roll < 0.3) return { method: 'GET', path: `/msgs?no=${no}`, headers };
      if (roll < 0.5) return { method: 'GET', path: `/msgs/${user}?no=${no}`, headers };
      if (roll < 0.6) return { method: 'GET', path: `/fllws/${user}?no=${no}`, headers };
      if (roll < 0.85)
        return {
          method: 'POST',
          path: `/msgs/${user}`,
          headers,
          body: JSON.stringify({ content: `soak ${'x'.repeat(no)}` }),
        };
      const follow = user === other ? 'unfollow' : roll < 0.93 ? 'follow' : 'unfollow';
      return {
        method: 'POST',
        path: `/fllws/${user}`,
        headers,
        body: JSON.stringify({ [follow]: decodeURIComponent(other) }),
      };
    };
    let done = false;
    const load = measureLoad({
      origin: new URL(api).origin,
      requests: [request()],
      perConnection: Array.from({ length: workers }, () => Array.from({ length: 1000 }, request)),
      connections: workers,
      durationSeconds: minutes * 60,
      expectedStatus: 200,
    }).finally(() => (done = true));
    const series: { minute: number; rss: number; heap: number }[] = [];
    const started = performance.now();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    while (!done) {
      const s = await sample(values.metrics);
      const minute = (performance.now() - started) / 60_000;
      series.push({ minute, ...s });
      io.out(`${minute.toFixed(1)} min: rss ${mib(s.rss)} MiB, heap used ${mib(s.heap)} MiB`);
      await Promise.race([sleep(10_000), load.catch(() => undefined)]);
    }
    const result = await load;
    const failures = Object.fromEntries(
      Object.entries(result.statuses).filter(([status]) => Number(status) >= 300),
    );
    const last = await sample(values.metrics);
    const highest = Math.max(...series.map((s) => s.rss), last.rss);
    io.out(
      `requests: ${result.requests} (${Math.round(result.requestsPerSecond)}/s, p99 ${result.p99} ms); ` +
        `not 2xx: ${JSON.stringify(failures)}; connection errors and timeouts: ${result.errors}`,
    );
    io.out(
      `rss MiB: first ${mib(series[0]!.rss)}, highest ${mib(highest)}, last ${mib(last.rss)}; heap used MiB: first ${mib(series[0]!.heap)}, last ${mib(last.heap)}`,
    );
    return 0;
  },
);
