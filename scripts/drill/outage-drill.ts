// The database goes away under load, drilled (issue 11, item 9): the app's web and API roles run as real
// processes on a throwaway PostgreSQL cluster (cluster.ts) while the course's scenario is replayed; the
// cluster is stopped (`pg_ctl stop -m fast`) and, later, crashed (`-m immediate`), each time for a few
// seconds, then started again. Probes of the API, the pages and both processes' /readyz run throughout.
// Checked: while the database is down, the API answers 503 JSON, the pages a 503 HTML page and /readyz
// 503 (never a 500, never a dropped connection); both processes stay up and recover by themselves (how
// many seconds after the database accepts connections again is measured); every write the replay saw
// acknowledged is in the database (npm run check-acknowledged).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../lib/paths.js';
import { startApp } from '../lib/app-process.js';
import { Cluster } from './cluster.js';
import { check, runScript } from './harness.js';

export interface OutageOptions {
  csv: string;
  /** Scenario lines replayed: enough to outlast both faults. */
  limit: number;
  /** How long the database stays down in each fault. */
  downSeconds: number;
  port: number;
  pgBin?: string;
  /** Keep the logs (app, replay's write log) in their temporary directory. */
  keep?: boolean;
}

/** Actions per second the drill's replay starts at most: 20,000 actions (the default --limit) take 33 s or more. */
const REPLAY_RATE = 600;
const SIMULATOR = `Basic ${Buffer.from('simulator:super_safe!').toString('base64')}`;

interface RoleProcess {
  role: 'web' | 'api';
  url: string;
  readyz: string;
  child: ChildProcess;
}

async function startRole(role: 'web' | 'api', databaseUrl: string, logFile: string): Promise<RoleProcess> {
  const app = await startApp({
    env: {
      MINITWIT_ROLE: role,
      DATABASE_URL: databaseUrl,
      LOG_FORMAT: 'json',
    },
    logFile,
  });
  return { role, url: role === 'web' ? app.web : app.api, readyz: `${app.metrics}/readyz`, child: app.child };
}

type Target = 'api' | 'web' | 'api readyz' | 'web readyz';

interface Probe {
  target: Target;
  started: number;
  ended: number;
  /** The status, or 0 when no reply came (connection refused or reset, or 5 s without one). */
  status: number;
  /** A 503 in the right form: JSON `{status, error_msg}` from the API, an HTML page from the web. */
  wellFormed: boolean;
}

async function probe(target: Target, url: string, headers: Record<string, string>): Promise<Probe> {
  const started = performance.now();
  let status = 0;
  let wellFormed = false;
  try {
    const reply = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    status = reply.status;
    const body = await reply.text();
    const type = reply.headers.get('content-type') ?? '';
    if (target === 'api') {
      const parsed = type.includes('application/json') ? (JSON.parse(body) as unknown) : undefined;
      wellFormed =
        status !== 503 ||
        (typeof parsed === 'object' && parsed !== null && (parsed as { status?: unknown }).status === 503);
    } else if (target === 'web') {
      wellFormed = status !== 503 || (type.includes('text/html') && /<html/i.test(body));
    } else wellFormed = true;
  } catch {
    status = 0;
  }
  return { target, started, ended: performance.now(), status, wellFormed };
}

/** Probes every target every 100 ms until stopped. */
function startProbing(web: RoleProcess, api: RoleProcess) {
  const probes: Probe[] = [];
  let running = true;
  const targets: [Target, string, Record<string, string>][] = [
    ['api', `${api.url}/msgs?no=5`, { authorization: SIMULATOR }],
    ['web', `${web.url}/public`, {}],
    ['api readyz', api.readyz, {}],
    ['web readyz', web.readyz, {}],
  ];
  const loops = targets.map(async ([target, url, headers]) => {
    while (running) {
      probes.push(await probe(target, url, headers));
      await sleep(100);
    }
  });
  return {
    probes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

interface FaultResult {
  name: string;
  downSeconds: number;
  /** Probes answered 503 while the database was down or recovering. */
  probes503: number;
  /** Probes answered otherwise than 200 or a well-formed 503 (must be none). */
  badProbes: Probe[];
  /** Replay writes answered without a 2xx (a 503, or no reply) from the fault until recovery. */
  failedWrites: number;
  recoverySeconds: number;
}

const writeLines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
const countUnacknowledged = (file: string) =>
  writeLines(file).filter((line) => line.includes('"acknowledged":false')).length;

/** The replay as a child process (at a lower priority, as in CI), its output collected. */
function startReplay(args: string[]) {
  const child = spawn(
    'nice',
    ['-n', '10', 'node', join(REPO_ROOT, 'dist/scripts/minitwit.js'), 'replay', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<{ stdout: string; stderr: string }>((resolve) =>
    child.on('close', () => resolve({ stdout, stderr })),
  );
  return { child, ended };
}

async function injectFault(
  name: string,
  mode: 'fast' | 'immediate',
  options: OutageOptions,
  cluster: Cluster,
  probing: ReturnType<typeof startProbing>,
  writeLog: string,
): Promise<FaultResult> {
  console.log(`-- ${name}: pg_ctl stop -m ${mode}, ${options.downSeconds} s down, pg_ctl start`);
  const failedBefore = countUnacknowledged(writeLog);
  const from = probing.probes.length;
  const stopping = performance.now();
  await cluster.stop(mode);
  const down = performance.now();
  await sleep(options.downSeconds * 1000);
  const startAt = performance.now();
  await cluster.start();
  const up = performance.now();
  console.log(`   the database accepts connections again after ${((up - down) / 1000).toFixed(1)} s down`);
  // Recovered: every target has answered 200 to a probe sent after the database was back, and has not
  // failed since.
  const targets: Target[] = ['api', 'web', 'api readyz', 'web readyz'];
  let recoveredAt: number | undefined;
  for (let waited = 0; waited < 60_000 && recoveredAt === undefined; waited += 100) {
    await sleep(100);
    const after = probing.probes.slice(from).filter((p) => p.started >= up);
    const firstOk = targets.map((target) => {
      const mine = after.filter((p) => p.target === target);
      const lastBad = mine.findLastIndex((p) => p.status !== 200);
      const ok = mine.slice(lastBad + 1);
      return ok.length >= 3 ? ok[0]!.ended : undefined;
    });
    if (firstOk.every((t) => t !== undefined)) recoveredAt = Math.max(...firstOk);
  }
  const window = probing.probes.slice(from);
  const downProbes = window.filter((p) => p.started >= down && p.ended <= startAt);
  const offending = [
    ...downProbes.filter((p) => !(p.status === 503 && p.wellFormed)),
    ...window.filter((p) => !(p.status === 200 || (p.status === 503 && p.wellFormed))),
  ];
  for (const p of new Set(offending))
    console.log(
      `   ${p.target}: ${p.status === 0 ? 'no reply' : p.status}${p.wellFormed ? '' : ' (not well-formed)'}, ` +
        `sent ${((p.started - down) / 1000).toFixed(2)} s after the database went down, answered after ${((p.ended - p.started) / 1000).toFixed(2)} s`,
    );
  check(
    downProbes.length > 0 && downProbes.every((p) => p.status === 503 && p.wellFormed),
    `${name}: while the database was down, all ${downProbes.length} probes got a well-formed 503 ` +
      `(API JSON, pages HTML, /readyz of both processes)`,
  );
  const badProbes = window.filter((p) => !(p.status === 200 || (p.status === 503 && p.wellFormed)));
  check(
    badProbes.length === 0,
    `${name}: no probe got anything but 200 or a well-formed 503 (no 500, no dropped connection)`,
  );
  check(recoveredAt !== undefined, `${name}: both processes recovered by themselves`);
  const recoverySeconds = (recoveredAt! - up) / 1000;
  console.log(
    `   recovered ${recoverySeconds.toFixed(2)} s after the database was back (stop took ${((down - stopping) / 1000).toFixed(1)} s)`,
  );
  return {
    name,
    downSeconds: (up - down) / 1000,
    probes503: window.filter((p) => p.status === 503).length,
    badProbes,
    failedWrites: countUnacknowledged(writeLog) - failedBefore,
    recoverySeconds,
  };
}

export async function outageDrill(options: OutageOptions): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'minitwit-outage-drill-'));
  const writeLog = join(work, 'acknowledged.jsonl');
  console.log(`-- a throwaway PostgreSQL cluster on port ${options.port}`);
  const cluster = await Cluster.create(options.port, options.pgBin);
  const apps: RoleProcess[] = [];
  let replay: ReturnType<typeof startReplay> | undefined;
  let probing: ReturnType<typeof startProbing> | undefined;
  try {
    const databaseUrl = cluster.url();
    // Migrated by the first process to start; the second finds nothing to do.
    apps.push(await startRole('api', databaseUrl, join(work, 'api.log')));
    apps.push(await startRole('web', databaseUrl, join(work, 'web.log')));
    const [api, web] = apps as [RoleProcess, RoleProcess];
    console.log(
      `-- the app (api ${api.url}, web ${web.url}) on ${databaseUrl}; replaying ${options.limit} actions`,
    );
    // --json: the report on stdout; --acknowledged: every write's outcome, logged as it is answered.
    replay = startReplay(
      ['--url', api.url, '--csv', options.csv, '--limit', String(options.limit), '--concurrency', '4'].concat(
        // Paced, so that the replay outlasts both faults however fast the app answers (and fails: a
        // request while the database is down gets its 503 at once): at least limit / rate seconds.
        ['--rate', String(REPLAY_RATE), '--acknowledged', writeLog, '--json', '--quiet'],
      ),
    );
    probing = startProbing(web, api);
    // The faults come once the replay is well under way (its start is slow on a busy machine).
    for (let waited = 0; writeLines(writeLog).length < 500; waited += 200) {
      if (waited > 120_000 || replay.child.exitCode !== null) check(false, 'the replay is writing');
      await sleep(200);
    }
    const results: FaultResult[] = [];
    results.push(await injectFault('stop', 'fast', options, cluster, probing, writeLog));
    await sleep(3000);
    results.push(await injectFault('crash', 'immediate', options, cluster, probing, writeLog));
    check(
      replay.child.exitCode === null,
      `the replay was still writing when both faults were over (else raise --limit)`,
    );
    const { stdout } = await replay.ended;
    await probing.stop();
    const report = JSON.parse(stdout) as {
      actions: { sent: number };
      errors: { total: number; wrongStatus: { total: number }; timeout: number; connection: number };
    };
    check(
      apps.every((app) => app.child.exitCode === null && app.child.signalCode === null),
      'both processes (web, api) are still the ones started: nothing crashed or restarted',
    );

    console.log('-- every acknowledged write is in the database (npm run check-acknowledged)');
    const checked = await runScript('check-acknowledged', ['--file', writeLog], {
      DATABASE_URL: databaseUrl,
    });
    const acknowledged = Number(/^(\d+) acknowledged writes/m.exec(checked)?.[1] ?? NaN);
    check(
      /every acknowledged write is in the database/.test(checked),
      `all ${acknowledged} acknowledged writes are there`,
    );

    for (const app of apps) {
      const exited = new Promise<number | null>((resolve) => app.child.once('exit', resolve));
      app.child.kill('SIGTERM');
      check((await exited) === 0, `the ${app.role} process shuts down cleanly (exit 0)`);
    }
    apps.length = 0;

    const e = report.errors;
    console.log(
      `\nreplay: ${report.actions.sent} actions, ${e.total} errors (wrong status ${e.wrongStatus.total}, ` +
        `timeout ${e.timeout}, connection ${e.connection}): expected while the database is away`,
    );
    for (const r of results) {
      console.log(
        `fault ${r.name}: down ${r.downSeconds.toFixed(1)} s; replay writes not acknowledged ${r.failedWrites}; ` +
          `probes answered 503 ${r.probes503}, otherwise ${r.badProbes.length}; recovered ${r.recoverySeconds.toFixed(2)} s after the database was back`,
      );
    }
    console.log(`acknowledged writes checked: ${acknowledged}, lost: 0`);
  } finally {
    replay?.child.kill('SIGKILL');
    await probing?.stop();
    for (const app of apps) app.child.kill('SIGKILL');
    if (options.keep) console.log(`kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
    await cluster.destroy();
  }
}
