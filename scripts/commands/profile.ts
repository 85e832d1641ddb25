// minitwit bench profile: where a request's time goes. Starts the app (as configured) under `node --cpu-prof`,
// loads one endpoint with the bench's load tool, stops the app, and summarises the profile; one run per
// endpoint, so that each profile holds one path.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatProfileSummary, summariseProfile, type CpuProfile } from '../benchmark/cpu-profile.js';
import { measureLoad } from '../benchmark/load.js';
import { startApp } from '../lib/app-process.js';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';

const USAGE = `Usage: minitwit bench profile [options]

Profiles the app's CPU on each endpoint: starts it (configured by the environment, as npm start: DATABASE_URL
or DATA_DIR; stop any app using the same embedded data directory first) with node --cpu-prof on two ports
of its own, loads the endpoint with autocannon, stops it, and prints the functions with the most self time.
Each endpoint's .cpuprofile is the flame graph: open it in speedscope (https://www.speedscope.app) or in
Chrome's DevTools (Performance, Load profile).

  --endpoints LIST   comma-separated, each api:PATH or web:PATH (default api:/msgs?no=100,web:/public)
  --duration S       seconds of load per endpoint (default 10)
  --connections N    the load's connections (default 16)
  --port P           the web port; the API gets P+1 (default 27100)
  --out DIR          where the .cpuprofile files and summaries go (default: a new temp dir)
  --summarise        no load: summarise the .cpuprofile files given as arguments
  --help             this text`;

async function summariseFile(file: string, io: { out(text: string): void }): Promise<void> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const summary = formatProfileSummary(summariseProfile(profile));
  io.out(summary);
  const dir = dirname(file);
  await writeFile(join(dir, 'summary.txt'), `${summary}\n`);
}

export const run = defineCommand(
  {
    name: 'profile',
    summary: 'CPU profiles (.cpuprofile, for speedscope) of the app under load',
    usage: USAGE,
    options: {
      endpoints: { type: 'string', default: 'api:/msgs?no=100,web:/public' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      port: { type: 'string' },
      out: { type: 'string' },
      summarise: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  },
  async ({ values, positionals }, io) => {
    if (values.summarise) {
      if (positionals.length === 0) throw new UsageError('--summarise needs .cpuprofile files');
      for (const file of positionals) {
        io.out(`\n== ${file}`);
        await summariseFile(file, io);
      }
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const endpoints = values.endpoints.split(',').map((entry) => {
      const match = /^(api|web):(\/\S*)$/.exec(entry.trim());
      if (!match) throw new UsageError(`--endpoints: ${entry} is not api:PATH or web:PATH`);
      return { role: match[1] as 'api' | 'web', path: match[2]! };
    });
    const durationSeconds = positiveInteger(values.duration, '--duration', 10);
    const connections = positiveInteger(values.connections, '--connections', 16);
    const webPort = positiveInteger(values.port, '--port', 27100);
    const out = values.out ?? (await mkdtemp(join(tmpdir(), 'minitwit-profile-')));
    for (const [index, endpoint] of endpoints.entries()) {
      const dir = join(out, `${index + 1}-${endpoint.role}`);
      await mkdir(dir, { recursive: true });
      // As configured (the access log at its level, as in production), with Node's profiler on.
      const app = await startApp({
        port: webPort,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
        env: { ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? 'info' },
      });
      try {
        const origin = endpoint.role === 'api' ? app.api : app.web;
        const headers = endpoint.role === 'api' ? { authorization: SIMULATOR_AUTHORIZATION } : undefined;
        io.err(`profile: ${endpoint.role} ${endpoint.path}: ${durationSeconds} s of load`);
        const result = await measureLoad({
          origin,
          requests: [{ method: 'GET', path: endpoint.path, ...(headers ? { headers } : {}) }],
          connections,
          durationSeconds,
          expectedStatus: 200,
        });
        io.out(
          `\n== ${endpoint.role} GET ${endpoint.path}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99} ms, ${result.unexpected} unexpected statuses`,
        );
      } finally {
        await app.stop();
      }
      const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`the app wrote no profile into ${dir}`);
      await summariseFile(join(dir, file), io);
    }
    io.err(`profile: the .cpuprofile files (open them in speedscope) and their summaries in ${out}`);
    return 0;
  },
);
