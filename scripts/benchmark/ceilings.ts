// Starts the ceilings' server (ceiling-server.ts) with our captured bodies, and a scratch table for the
// INSERT ceiling: in a scratch database the bench creates on the PostgreSQL server (and drops after), or,
// without a server, in an embedded PGlite in a temporary directory (the embedded app's own ceiling).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { CeilingInput, FixedBody } from './ceiling-server.js';
import { startChildServer } from './children.js';

export interface Ceilings {
  origin: string;
  /** Where the INSERTs go, as the report names it. */
  insertInto: string;
  stop(): Promise<void>;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

export async function startCeilings(options: {
  fixed: FixedBody[];
  /** A PostgreSQL server URL (any database on it): the scratch database is made beside it. */
  serverUrl: string | undefined;
  connections: number;
  runId: string;
}): Promise<Ceilings> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    let insert: CeilingInput['insert'];
    let insertInto: string;
    if (options.serverUrl) {
      const scratch = `minitwit_bench_ceiling_${options.runId}`;
      await adminQuery(options.serverUrl, `CREATE DATABASE "${scratch}"`);
      cleanups.push(() =>
        adminQuery(options.serverUrl!, `DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`),
      );
      insert = {
        kind: 'postgres',
        url: withDatabase(options.serverUrl, scratch),
        poolSize: options.connections,
      };
      insertInto = `PostgreSQL server, scratch database, pg Pool of ${options.connections}`;
    } else {
      const dataDir = await mkdtemp(join(tmpdir(), 'minitwit-bench-ceiling-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      insert = { kind: 'pglite', dataDir };
      insertInto = 'embedded PGlite in a temporary directory';
    }
    const server = await startChildServer<CeilingInput, { origin: string }>(
      new URL('./ceiling-server.js', import.meta.url),
      { fixed: options.fixed, insert },
      'the ceilings server',
    );
    cleanups.push(() => server.stop());
    return { origin: server.ready.origin, insertInto, stop: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
