// What the drills share: databases of their own on a PostgreSQL server, the app and the ops commands run
// as real processes from dist/ (as in production), pages fetched over HTTP, and a clock for each phase.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgres } from '../../src/db/postgres.js';
import { inventory, type TableInventory } from '../backup/inventory.js';
import { CLI_ENTRY } from '../lib/paths.js';
import { startApp, type AppProcess } from '../lib/app-process.js';
import { signIn } from '../lib/http.js';
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';

/** Phases and how long each took, printed at the end. */
class Clock {
  readonly phases: [string, number][] = [];

  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    console.log(`-- ${phase}`);
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    this.phases.push([phase, seconds]);
    console.log(`   ${seconds.toFixed(1)} s`);
    return result;
  }

  report(): void {
    console.log('\nphase times:');
    for (const [phase, seconds] of this.phases)
      console.log(`  ${seconds.toFixed(1).padStart(7)} s  ${phase}`);
  }
}

/** Fails the drill with `message` unless `ok`. */
export function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`DRILL FAILED: ${message}`);
  console.log(`   ok: ${message}`);
}

/** Databases the drill made on the server (dropped at the end, whatever happens). */
class Databases {
  private readonly made: string[] = [];
  constructor(
    private readonly adminUrl: string,
    private readonly prefix = `drill_${process.pid}_${Date.now()}`,
  ) {}

  url(name: string): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${this.prefix}_${name}`;
    return url.toString();
  }

  private async admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async create(name: string): Promise<string> {
    await this.admin((c) => c.query(`CREATE DATABASE "${this.prefix}_${name}"`));
    this.made.push(name);
    return this.url(name);
  }

  async drop(name: string): Promise<void> {
    await this.admin((c) => c.query(`DROP DATABASE IF EXISTS "${this.prefix}_${name}" WITH (FORCE)`));
  }

  async dropAll(): Promise<void> {
    for (const name of this.made) await this.drop(name).catch(() => {});
  }
}

/** What a drill works with: a clock, its databases, a work folder with the apps' log, the apps it runs. */
interface Drill {
  clock: Clock;
  dbs: Databases;
  work: string;
  log: string;
  apps: RunningApp[];
}

/**
 * Runs the drill `body` with databases on the server `adminUrl` and a work folder of its own; whatever
 * happens, then stops the apps it left in `apps`, drops its databases, removes the folder and prints the
 * phases' times.
 */
export async function runDrill(name: string, adminUrl: string, body: (drill: Drill) => Promise<void>) {
  const work = mkdtempSync(join(tmpdir(), `minitwit-${name}-`));
  const drill: Drill = {
    clock: new Clock(),
    dbs: new Databases(adminUrl),
    work,
    log: join(work, 'app.log'),
    apps: [],
  };
  try {
    await body(drill);
  } finally {
    for (const app of drill.apps) await app.stop();
    await drill.dbs.dropAll();
    rmSync(work, { recursive: true, force: true });
    drill.clock.report();
  }
}

/** The backup file that `minitwit backup` wrote into `dir`. */
export const backupIn = (dir: string): string =>
  join(
    dir,
    readdirSync(dir).find((file) => file.endsWith('.sql.gz'))!,
  );

/** Every table's row count and content digest, read in one transaction. */
export async function digestsOf(url: string): Promise<TableInventory[]> {
  const db = await openPostgres({ connectionString: url, poolSize: 1, onIdleError: () => {} });
  try {
    return await db.transaction(inventory);
  } finally {
    await db.close();
  }
}

export type RunningApp = Pick<AppProcess, 'web' | 'api' | 'stop'>;

/** The app on free ports with `env` (DATABASE_URL or DATA_DIR), its output in `logFile`, ready to serve. */
export const startServer = (env: Record<string, string>, logFile: string): Promise<RunningApp> =>
  startApp({ env, logFile });

/**
 * The drills' backups are signed, as production's are (a restore refuses an unsigned one): with the
 * caller's BACKUP_SIGNING_KEY (or _FILE), else a key of this run's own.
 */
const signing: Record<string, string> =
  process.env.BACKUP_SIGNING_KEY || process.env.BACKUP_SIGNING_KEY_FILE
    ? {}
    : { BACKUP_SIGNING_KEY: randomBytes(32).toString('hex') };

/** Runs `minitwit <command>` from dist/ to completion (optionally at a lower priority, like the replay in CI); fails on a non-zero exit. */
export function runScript(
  minitwitCommand: string,
  args: string[],
  env: Record<string, string> = {},
  options: { nice?: boolean; quiet?: boolean; anyExit?: boolean } = {},
): Promise<string> {
  const command = options.nice ? 'nice' : 'node';
  const argv = [...(options.nice ? ['-n', '10', 'node'] : []), CLI_ENTRY, minitwitCommand, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      env: { ...process.env, ...signing, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!options.quiet) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 || options.anyExit
        ? resolve(output)
        : reject(
            new Error(
              `minitwit ${minitwitCommand} ${args.join(' ')} exited ${code}:\n${output.slice(-3000)}`,
            ),
          ),
    );
  });
}

const SIMULATOR = { authorization: SIMULATOR_AUTHORIZATION };

/** What a user and the simulator see of `user`: the API's replies and the web pages, as text. */
export async function snapshotReplies(app: RunningApp, user: string): Promise<Record<string, string>> {
  const name = encodeURIComponent(user);
  const urls = [
    `${app.api}/latest`,
    `${app.api}/msgs?no=100`,
    `${app.api}/msgs/${name}?no=100`,
    `${app.api}/fllws/${name}?no=100`,
    `${app.web}/public`,
    `${app.web}/${name}`,
  ];
  const replies: Record<string, string> = {};
  for (const url of urls) {
    const reply = await fetch(url, { headers: url.startsWith(app.api) ? SIMULATOR : {} });
    replies[url.replace(/^http:\/\/127\.0\.0\.1:\d+/, url.startsWith(app.api) ? 'api' : 'web')] =
      `${reply.status}\n${await reply.text()}`;
  }
  return replies;
}

/** Signs in on the web pages with the password the user registered with: the session cookie works. */
export async function signInWorks(app: RunningApp, user: string, password: string): Promise<boolean> {
  const cookie = await signIn(app.web, user, password).catch(() => undefined);
  if (!cookie) return false;
  const home = await fetch(`${app.web}/`, { headers: { cookie } });
  const page = await home.text();
  return home.status === 200 && page.includes('My Timeline') && page.includes('sign out');
}

/** The rows that differ between two inventories, as phrases ("" when equal). */
export function differences(before: TableInventory[], after: TableInventory[]): string {
  const found = new Map(after.map((t) => [t.table, t]));
  return before
    .flatMap((t) => {
      const other = found.get(t.table);
      if (!other) return [`${t.table} missing`];
      if (other.rows !== t.rows) return [`${t.table}: ${t.rows} -> ${other.rows} rows`];
      return other.sha256 === t.sha256 ? [] : [`${t.table}: content differs`];
    })
    .join('; ');
}
