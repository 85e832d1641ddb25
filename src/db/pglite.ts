import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.js';
import { parseInt8, type Database, type Queryable } from './database.js';

export interface PgliteOptions {
  /** A directory to persist in, or undefined for an in-memory database. */
  dataDir?: string;
  /** A dumped data directory (from `dumpDataDir`) to start from: tests clone one template this way. */
  loadDataDir?: Blob;
}

/** The embedded database: one PostgreSQL in this process, so only one process may open a data dir. */
export async function openPglite(options: PgliteOptions = {}): Promise<Database & { pglite: PGlite }> {
  let unlock = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    unlock = lockDataDir(`${options.dataDir}.lock`);
  }
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
    parsers: { [types.INT8]: parseInt8 },
  }).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <Row>(sql: string, params: readonly unknown[] = []) =>
      (await q.query<Row>(sql, params as unknown[])).rows,
    exec: async (sql: string) => {
      await q.exec(sql);
    },
  });
  let inFlight = 0;
  const counted = wrap(pglite);
  return {
    kind: 'pglite',
    pglite,
    query: async (sql, params) => {
      inFlight++;
      try {
        return await counted.query(sql, params);
      } finally {
        inFlight--;
      }
    },
    exec: counted.exec,
    transaction: (work) => pglite.transaction((tx) => work(wrap(tx))),
    // PGlite is a single connection: everything past the one running query is waiting for it.
    poolStats: () => ({ total: 1, idle: inFlight === 0 ? 1 : 0, waiting: Math.max(0, inFlight - 1) }),
    close: async () => {
      await pglite.close();
      unlock();
    },
  };
}
