import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { secureTree } from './data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import { parseInt8, type Database, type ExecOptions, type Queryable } from './database.js';

export interface PgliteOptions {
  /** A directory to persist in, or undefined for an in-memory database. */
  dataDir?: string;
  /** A dumped data directory (from `dumpDataDir`) to start from: tests clone one template this way. */
  loadDataDir?: Blob;
}

/**
 * PGlite's result parser decoded every text field with a TextDecoder that drops a leading U+FEFF (the
 * WHATWG default), so a message that begins with one lost it on the embedded database only. The fix is a
 * patch to PGlite (patches/, applied by `npm ci` through patch-package); this check refuses to run on a
 * PGlite without it, rather than silently change what users wrote.
 */
export async function assertTextRoundTrips(db: Queryable): Promise<void> {
  const sent = '\uFEFF\uFEFFx';
  const [row] = await db.query<{ text: string }>('SELECT $1::text AS text', [sent]);
  if (row?.text !== sent) {
    throw new Error(
      'The embedded database (PGlite) drops a leading U+FEFF from text: its patch is not applied. ' +
        'Run `npm ci` (or `npx patch-package`) to apply patches/@electric-sql+pglite*.patch.',
    );
  }
}

/** The embedded database: one PostgreSQL in this process, so only one process may open a data dir. */
export async function openPglite(options: PgliteOptions = {}): Promise<Database & { pglite: PGlite }> {
  let unlock = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    secureTree(options.dataDir);
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
    exec: async (sql: string, options?: ExecOptions) => {
      // PGlite's query() is the extended protocol: one statement.
      await (options?.oneStatement ? q.query(sql) : q.exec(sql));
    },
  });
  const counted = wrap(pglite);
  try {
    // initdb or a loaded dump has just written files 0666: owner-only, as the rest of DATA_DIR.
    if (options.dataDir) secureTree(options.dataDir);
    await assertTextRoundTrips(counted);
  } catch (error) {
    await pglite.close();
    unlock();
    throw error;
  }
  let inFlight = 0;
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
