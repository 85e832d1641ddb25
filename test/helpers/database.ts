// A fresh database for one test, cloned from the run's migrated template (see global-setup.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { serverDatabaseUrl } from './database-url.js';

export interface TestDatabase {
  /** A server database's URL (the app is configured with it, as in production); undefined for PGlite. */
  url: string | undefined;
  /** Opens it (PGlite: in memory, loaded from the template's dump). */
  open(): Promise<Database>;
}

/** A new database holding the migrated schema and nothing else. */
export async function cloneTestDatabase(): Promise<TestDatabase> {
  const source = inject('testDatabase');
  if (source.kind === 'pglite') {
    const dump = readFileSync(source.dumpFile);
    return { url: undefined, open: () => openPglite({ loadDataDir: new Blob([dump]) }) };
  }
  const name = `${source.template}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: source.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${source.template}"`);
  } finally {
    await admin.end();
  }
  const url = serverDatabaseUrl(source.adminUrl, name);
  return { url, open: () => openPostgres({ connectionString: url, poolSize: 5 }) };
}

/** A cloned database, opened: for tests of the data layer and the ops tools. */
export async function openTestDatabase(): Promise<{ db: Database; url: string | undefined }> {
  const clone = await cloneTestDatabase();
  return { db: await clone.open(), url: clone.url };
}

/**
 * In a `describe` of server-only tests: a cloned database, opened before its tests and closed after. Read
 * `db` and `url` inside the tests (they are set by then).
 */
export function serverDatabaseForSuite(): { db: Database; url: string } {
  const suite = {} as { db: Database; url: string };
  beforeAll(async () => {
    const opened = await openTestDatabase();
    suite.db = opened.db;
    suite.url = opened.url!;
  });
  afterAll(() => suite.db.close());
  return suite;
}
