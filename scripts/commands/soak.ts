// minitwit bench soak [--api URL] [--metrics URL] [--minutes M] [--workers W]
// A mixed load for M minutes (reads of many different lists and pages, posts, follows, unfollows, a few
// registrations) while the app's resident memory and heap are sampled from its /metrics: every cache is
// bounded, so memory must level off, not grow with time.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { call, sleep } from '../loadcheck/http.js';
import { defineCommand, positiveInteger } from '../lib/command.js';

const USAGE = `Usage: minitwit bench soak [--api URL] [--metrics URL] [--minutes M] [--workers W] [--users N]

Against the simulator API at --api (default http://127.0.0.1:5001), W workers (default 16) for M minutes
(default 10) send a mix: lists with many different ?no= (many cache entries), users' lists and follows,
posts, follows and unfollows among N users (default 500, registered first), and a registration now and
then. Every 10 s, the app's process_resident_memory_bytes and nodejs_heap_size_used_bytes are read from
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
    const end = performance.now() + minutes * 60_000;
    let requests = 0;
    const failures = new Map<string, number>();
    const act = async () => {
      const roll = Math.random();
      const no = 1 + Math.floor(Math.random() * 200);
      const reply =
        roll < 0.3
          ? await call(`${api}/msgs?no=${no}`)
          : roll < 0.5
            ? await call(`${api}/msgs/${pick()}?no=${no}`)
            : roll < 0.6
              ? await call(`${api}/fllws/${pick()}?no=${no}`)
              : roll < 0.85
                ? await call(`${api}/msgs/${pick()}?latest=${requests}`, 'POST', {
                    content: `soak ${requests} ${'x'.repeat(no)}`,
                  })
                : roll < 0.995
                  ? await call(`${api}/fllws/${pick()}?latest=${requests}`, 'POST', {
                      [roll < 0.93 ? 'follow' : 'unfollow']: decodeURIComponent(pick()),
                    })
                  : await call(`${api}/register`, 'POST', {
                      username: `soak ${tag} new ${requests}`,
                      email: 'soak@example.com',
                      pwd: 'x',
                    });
      requests++;
      if (reply.status >= 300)
        failures.set(String(reply.status), (failures.get(String(reply.status)) ?? 0) + 1);
    };
    const load = Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < end) await act();
      }),
    );
    const series: { minute: number; rss: number; heap: number }[] = [];
    const started = performance.now();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    while (performance.now() < end) {
      const s = await sample(values.metrics);
      const minute = (performance.now() - started) / 60_000;
      series.push({ minute, ...s });
      io.out(
        `${minute.toFixed(1)} min: rss ${mib(s.rss)} MiB, heap used ${mib(s.heap)} MiB, ${requests} requests`,
      );
      await sleep(10_000);
    }
    await load;
    const last = await sample(values.metrics);
    const highest = Math.max(...series.map((s) => s.rss), last.rss);
    io.out(`requests: ${requests}; not 2xx: ${JSON.stringify(Object.fromEntries(failures))}`);
    io.out(
      `rss MiB: first ${mib(series[0]!.rss)}, highest ${mib(highest)}, last ${mib(last.rss)}; heap used MiB: first ${mib(series[0]!.heap)}, last ${mib(last.heap)}`,
    );
    return 0;
  },
);
