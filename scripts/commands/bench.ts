// minitwit bench: measures a running MiniTwit against its ceilings, in one run (see docs/performance.md).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import { benchChart } from '../benchmark/chart.js';
import { formatBenchReport } from '../benchmark/report.js';
import { runBench } from '../benchmark/run.js';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';
import { basicAuthorization } from '../replay/simulator-requests.js';
import { run as profile } from './profile.js';
import { run as registrations } from './registrations.js';
import { run as scale } from './scale.js';
import { run as soak } from './soak.js';
import { run as staleness } from './staleness.js';

const USAGE = `Usage: minitwit bench [options]
       minitwit bench <probe> [options]   (minitwit bench <probe> --help: the probe's own)

Probes, each a question of its own:
  scale          each request on a small and a large database, as ratios
  soak           a mixed load for minutes while the app's memory is sampled (it must level off)
  staleness      how long a write on one replica stays unseen on another
  registrations  password hashes a second, and what a burst of registrations costs other requests
  profile        CPU profiles (.cpuprofile, for speedscope) of the app under load

Without a probe: the ceilings and the replays.

Measures a running MiniTwit (embedded or on a PostgreSQL server) in one run, and prints a table:
  - each read (API lists, web timelines, a signed-in timeline, a deep page) and each write (a post, follow
    and unfollow, a web post) under the same load (autocannon, in its own process), each next to its
    ceiling measured the same way: bare Fastify returning the same bytes (reads), a single-row INSERT
    through a pool as large as the load's connections (writes);
  - the scenario replayed as the course's simulator sends it (a new connection per request) at each
    concurrency, on users of its own, and one action at a time against a server that does nothing (the
    client's floor).
The bench registers users named "bench <run id> ..." and posts messages on the instance it measures.

  --web URL              the web pages (default http://127.0.0.1:5000)
  --api URL              the simulator API (default http://127.0.0.1:5001)
  --ceiling-database URL a PostgreSQL server for the INSERT ceiling (default: DATABASE_URL); the bench
                         makes a scratch database there and drops it after. Without one: embedded PGlite
                         (the ceiling for an app on the embedded database)
  --connections N        the load's connections (default 16)
  --duration S           seconds per measurement (default 5)
  --warmup S             seconds of load before each measurement, not counted (default 1)
  --scenario FILE        the scenario to replay (default: a generated one, see --actions)
  --actions N            the generated scenario's length (default 2000)
  --seed S               the generated scenario's seed (default bench)
  --concurrency LIST     the replays' concurrencies, comma-separated (default 1,8,64; "none": no replay)
  --json FILE            also write the report as JSON
  --chart FILE           also draw the chart as SVG (e.g. docs/performance-baseline.svg)
  --quick                a smoke run: 1 s per measurement, no warm-up, a 300-action scenario
  --python-client        also replay one action at a time through scripts/benchmark/simulator_client.py
                         (Python, requests: what the course's simulator sends), against the floor and
                         ours; needs --scenario and python3 with requests (Debian: python3-requests)
  --user NAME            the simulator's Basic user (default simulator)
  --password PWD         its password (default super_safe!)
  --help                 this text

Exit status: 0 when every request got the expected status and every replay passed its checks, 1 otherwise,
2 when nothing was measured (bad arguments, instance not answering).`;

function concurrencies(value: string): number[] {
  if (value === 'none') return [];
  return value.split(',').map((part) => positiveInteger(part.trim(), '--concurrency', 1));
}

function origin(value: string, name: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new UsageError(`${name} must be an http(s) URL, got ${value}`);
  return new URL(value).origin;
}

export const run = defineCommand(
  {
    name: 'bench',
    summary: 'measure a running MiniTwit (reads and writes against their ceilings, replays; probes)',
    usage: USAGE,
    subcommands: [scale, soak, staleness, registrations, profile],
    options: {
      web: { type: 'string', default: 'http://127.0.0.1:5000' },
      api: { type: 'string', default: 'http://127.0.0.1:5001' },
      'ceiling-database': { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      scenario: { type: 'string' },
      actions: { type: 'string' },
      seed: { type: 'string', default: 'bench' },
      concurrency: { type: 'string', default: '1,8,64' },
      json: { type: 'string' },
      chart: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'python-client': { type: 'boolean', default: false },
      user: { type: 'string', default: COURSE_SIMULATOR_CREDENTIALS.username },
      password: { type: 'string', default: COURSE_SIMULATOR_CREDENTIALS.password },
    },
  },
  async ({ values }, io) => {
    const quick = values.quick;
    const ceilingServerUrl = values['ceiling-database'] ?? io.env.DATABASE_URL;
    if (ceilingServerUrl !== undefined && !/^postgres(ql)?:\/\//.test(ceilingServerUrl))
      throw new UsageError('--ceiling-database must be a postgres:// URL');
    const warmup = values.warmup === undefined ? (quick ? 0 : 1) : Number(values.warmup);
    if (!Number.isFinite(warmup) || warmup < 0) throw new UsageError('--warmup must be 0 or more seconds');
    if (values['python-client'] && !values.scenario)
      throw new UsageError('--python-client needs --scenario FILE (the Python client reads the file)');
    const actions = positiveInteger(values.actions, '--actions', quick ? 300 : 2000);
    const target = {
      webOrigin: origin(values.web, '--web'),
      apiOrigin: origin(values.api, '--api'),
      authorization: basicAuthorization(values.user, values.password),
      runId: randomBytes(4).toString('hex'),
    };
    const options = {
      target,
      ceilingServerUrl,
      connections: positiveInteger(values.connections, '--connections', 16),
      durationSeconds: positiveInteger(values.duration, '--duration', quick ? 1 : 5),
      warmupSeconds: warmup,
      scenario: values.scenario ? { file: values.scenario } : { generate: { actions, seed: values.seed } },
      concurrencies: concurrencies(values.concurrency),
      pythonClient: values['python-client'],
      log: (line: string) => io.err(`bench: ${line}`),
    };
    const reachable = await fetch(`${target.apiOrigin}/latest`).then(
      (response) => response.ok,
      () => false,
    );
    if (!reachable) {
      io.err(`bench: the API does not answer GET ${target.apiOrigin}/latest: nothing was measured`);
      return 2;
    }
    const report = await runBench(options);
    io.out(formatBenchReport(report));
    for (const [file, text] of [
      [values.json, `${JSON.stringify(report, null, 2)}\n`],
      [values.chart, benchChart(report)],
    ] as const) {
      if (!file) continue;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text, 'utf8');
      io.err(`bench: wrote ${file}`);
    }
    const clean =
      report.measurements.every((m) => m.ours.errors === 0 && m.ours.unexpected === 0) &&
      report.replays.every((r) => r.target === 'floor' || r.ok === true) &&
      Object.keys(report.pythonOneAtATime?.ours.errors ?? {}).length === 0;
    return clean ? 0 : 1;
  },
);
