// Builds one migrated template database per test run; every test file then gets its own clone of it.
// PGlite: initdb costs seconds, loading a dump about one, so the template is a dump file.
// PostgreSQL server (DATABASE_URL set): a fresh template database, cloned with CREATE DATABASE ... TEMPLATE.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPglite } from '../../src/db/pglite.js';
import { migrate } from '../../src/db/migrate.js';
import { serverDatabaseUrl } from './database-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase:
      { kind: 'pglite'; dumpFile: string } | { kind: 'postgres'; adminUrl: string; template: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    const template = `minitwit_template_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${template}"`);
    const { openPostgres } = await import('../../src/db/postgres.js');
    const db = await openPostgres({ connectionString: serverDatabaseUrl(adminUrl, template), poolSize: 1 });
    await migrate(db);
    await db.close();
    project.provide('testDatabase', { kind: 'postgres', adminUrl, template });
    return async () => {
      const clones = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`${template}%`],
      );
      for (const { datname } of clones.rows)
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await admin.end();
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'minitwit-test-'));
  const db = await openPglite();
  await migrate(db);
  const dump = await db.pglite.dumpDataDir('none');
  await db.close();
  const dumpFile = join(dir, 'template.tar');
  writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()));
  project.provide('testDatabase', { kind: 'pglite', dumpFile });
  return async () => rmSync(dir, { recursive: true, force: true });
}
