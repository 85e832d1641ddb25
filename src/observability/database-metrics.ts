// Database metrics: how long statements take (through a decorator around the Database), how full the
// connection pool is, and whether the database answers at all, the last two read when Prometheus scrapes.
import { performance } from 'node:perf_hooks';
import { Gauge, Histogram } from 'prom-client';
import { lastBackup } from '../data/backups.js';
import type { Database, PoolStats, Queryable } from '../db/index.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { registry } from './metrics.js';

const queryDuration = new Histogram({
  name: 'minitwit_db_query_duration_seconds',
  help: 'Time a statement (or a whole transaction) took, by SQL verb and outcome (ok, error)',
  labelNames: ['operation', 'outcome'] as const,
  // A statement is a small slice of a request's 0.3 s: finer at the bottom than the request buckets.
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** Databases the running apps use; both roles in one process share one, so it is counted by reference. */
const watched = new Map<Database, number>();

/** Starts reporting `db` in the pool and database-up gauges; returns the function that stops it. */
export function watchDatabase(db: Database): () => void {
  watched.set(db, (watched.get(db) ?? 0) + 1);
  return () => {
    const count = (watched.get(db) ?? 1) - 1;
    if (count > 0) watched.set(db, count);
    else watched.delete(db);
  };
}

function totalPoolStats(): PoolStats {
  const total: PoolStats = { total: 0, idle: 0, waiting: 0 };
  for (const db of watched.keys()) {
    const stats = db.poolStats();
    total.total += stats.total;
    total.idle += stats.idle;
    total.waiting += stats.waiting;
  }
  return total;
}

const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read(totalPoolStats()));
    },
  });

poolGauge('minitwit_db_pool_connections', 'Connections the pool holds (busy and idle)', (s) => s.total);
poolGauge('minitwit_db_pool_idle_connections', 'Connections open and idle in the pool', (s) => s.idle);
poolGauge(
  'minitwit_db_pool_waiting_clients',
  'Queries waiting for a free connection; above 0 for long means the pool is too small or queries too slow',
  (s) => s.waiting,
);

/** A statement that succeeded this recently proves the database answers; no extra probe needed. */
const RECENT_SUCCESS_MS = 5_000;
const PING_TIMEOUT_MS = 2_000;
/**
 * When each instrumented database last answered a statement; none when it has not, or its last statement
 * found it unavailable. (Not 0: performance.now() starts near 0, so a process's first seconds would read
 * "answered at 0" as a recent success.)
 */
const lastSuccessAt = new WeakMap<Database, number>();

/** Whether `db` answers: a statement succeeded in the last few seconds, or a `SELECT 1` does within 2 s. */
export async function databaseAnswers(db: Database): Promise<boolean> {
  if (performance.now() - (lastSuccessAt.get(db) ?? -Infinity) < RECENT_SUCCESS_MS) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  const ping = db.query('SELECT 1').then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

new Gauge({
  name: 'minitwit_database_up',
  help: 'Whether the database answered (1) or not (0) at the last scrape',
  registers: [registry],
  async collect() {
    if (watched.size === 0) {
      this.set(0);
      return;
    }
    const results = await Promise.all([...watched.keys()].map(databaseAnswers));
    this.set(results.every(Boolean) ? 1 : 0);
  },
});

// The last successful backup, read from the database's `backups` table at scrape time (written by
// `npm run backup`): every replica reports it, it survives restarts, and it needs no extra exporter or shared
// volume, unlike a textfile collector on the one host where the backup ran. Unset when the read fails, so
// a database outage shows as such rather than as a backup that is 0 bytes old.
type LastBackup = Awaited<ReturnType<typeof lastBackup>> | 'unknown';
let lastBackupRead: { at: number; result: Promise<LastBackup> } | undefined;
/** One read per scrape for both gauges (each gauge's collect asks). */
function readLastBackup(): Promise<LastBackup> {
  const now = performance.now();
  if (!lastBackupRead || now - lastBackupRead.at > 1000) {
    const db = watched.keys().next().value;
    const result = db
      ? lastBackup(db).catch((): LastBackup => 'unknown')
      : Promise.resolve<LastBackup>('unknown');
    lastBackupRead = { at: now, result };
  }
  return lastBackupRead.result;
}

const backupGauge = (
  name: string,
  help: string,
  read: (last: { finishedAt: Date; sizeBytes: number }) => number,
) =>
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      const last = await readLastBackup();
      if (last === 'unknown') this.reset();
      else this.set(last ? read(last) : 0);
    },
  });

backupGauge(
  'minitwit_backup_last_success_timestamp_seconds',
  'When the newest successful backup (npm run backup) finished, in seconds since the epoch; 0 when none ever did',
  (last) => last.finishedAt.getTime() / 1000,
);
backupGauge(
  'minitwit_backup_last_size_bytes',
  'Size of the newest successful backup file (compressed), in bytes; 0 when none ever did',
  (last) => last.sizeBytes,
);

const VERBS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'with',
  'begin',
  'commit',
  'rollback',
  'create',
]);

/** The statement's verb, from a fixed set: SQL text itself would be an unbounded label. */
function sqlOperation(sql: string): string {
  const verb = /^\s*(?:--[^\n]*\n\s*)*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
  return VERBS.has(verb) ? verb : 'other';
}

type Timer = <T>(operation: string, work: () => Promise<T>) => Promise<T>;

/** Times statements and notes, for `owner`, whether the database answered. */
function timerFor(owner: () => Database): Timer {
  return async (operation, work) => {
    const end = queryDuration.startTimer({ operation });
    try {
      const result = await work();
      end({ outcome: 'ok' });
      lastSuccessAt.set(owner(), performance.now());
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      if (error instanceof Error && isDatabaseUnavailable(error)) lastSuccessAt.delete(owner());
      throw error;
    }
  };
}

function instrumentQueryable(q: Queryable, timed: Timer): Queryable {
  return {
    query: <Row>(sql: string, params?: readonly unknown[]) =>
      timed(sqlOperation(sql), () => q.query<Row>(sql, params)),
    exec: (sql, options) => timed(sqlOperation(sql), () => q.exec(sql, options)),
  };
}

/** The same database, with every statement and transaction timed in minitwit_db_query_duration_seconds. */
export function instrumentDatabase(db: Database): Database {
  const timed = timerFor(() => instrumented);
  const statements = instrumentQueryable(db, timed);
  const instrumented: Database = {
    kind: db.kind,
    query: statements.query,
    exec: statements.exec,
    transaction: (work) =>
      timed('transaction', () => db.transaction((tx) => work(instrumentQueryable(tx, timed)))),
    poolStats: () => db.poolStats(),
    close: () => db.close(),
  };
  return instrumented;
}
