// A fresh database for one test file, cloned from the run's migrated template (see global-setup.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { serverDatabaseUrl } from './database-url.js';

export interface TestDatabase {
  db: Database;
  /** For a server database: its URL, so a test can start a real server process on it. */
  url?: string;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const source = inject('testDatabase');
  if (source.kind === 'pglite') {
    return { db: await openPglite({ loadDataDir: new Blob([readFileSync(source.dumpFile)]) }) };
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
  return { db: await openPostgres({ connectionString: url, poolSize: 5 }), url };
}
