// Least privilege on a server: the schema's owner runs the migrations (MIGRATION_DATABASE_URL), the app
// serves over a role that reads and writes rows and nothing more (DATABASE_URL), with the grants of
// deploy/postgres/initdb/minitwit-roles.sql, the file the postgres image runs at its first boot. And a
// migration that waits for a table's lock gives up after lock_timeout (5 s) instead of queueing forever.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startDatabase } from '../../src/app.js';
import { ConfigError } from '../../src/settings.js';
import type { Database } from '../../src/db/index.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createLogger } from '../../src/observability/logger.js';
import { testConfig } from '../helpers/app.js';
import { serverDatabaseUrl } from '../helpers/database-url.js';

const adminUrl = process.env.DATABASE_URL;
vi.setConfig({ testTimeout: 60_000 });

test('when MIGRATION_DATABASE_URL is set without DATABASE_URL, then the configuration is refused naming both', () => {
  expect(() => testConfig({ MIGRATION_DATABASE_URL: 'postgres://owner@localhost/minitwit' })).toThrow(
    ConfigError,
  );
  expect(() => testConfig({ MIGRATION_DATABASE_URL: 'postgres://owner@localhost/minitwit' })).toThrow(
    /MIGRATION_DATABASE_URL is set without DATABASE_URL/,
  );
});

/** minitwit-roles.sql with its psql variables filled in, and its \connect left to the caller. */
function rolesSql(names: Record<string, string>): { beforeConnect: string; afterConnect: string } {
  const text = readFileSync(
    new URL('../../deploy/postgres/initdb/minitwit-roles.sql', import.meta.url),
    'utf8',
  )
    .replace(/:'(\w+)'/g, (_, name: string) => `'${names[name]}'`)
    .replace(/:"(\w+)"/g, (_, name: string) => `"${names[name]}"`);
  const [beforeConnect = '', afterConnect = ''] = text.split(/^\\connect .*$/m);
  return { beforeConnect, afterConnect };
}

describe.runIf(adminUrl)('the owner migrates, the app reads and writes rows', () => {
  const suffix = randomBytes(4).toString('hex');
  const names = {
    owner: `mt_owner_${suffix}`,
    app: `mt_app_${suffix}`,
    monitor: `mt_monitor_${suffix}`,
    database: `mt_roles_${suffix}`,
    owner_password: 'owner-secret',
    app_password: 'app-secret',
    monitor_password: 'monitor-secret',
  };
  const urlAs = (role: string, password: string) => {
    const url = new URL(serverDatabaseUrl(adminUrl!, names.database));
    url.username = role;
    url.password = password;
    return url.toString();
  };
  const ownerUrl = () => urlAs(names.owner, names.owner_password);
  const appUrl = () => urlAs(names.app, names.app_password);
  const opened: Database[] = [];
  const admin = async (sql: string, database?: string) => {
    const client = new pg.Client({
      connectionString: database ? serverDatabaseUrl(adminUrl!, database) : adminUrl,
    });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${names.database}"`);
    const sql = rolesSql(names);
    await admin(sql.beforeConnect);
    await admin(sql.afterConnect, names.database);
  });
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await admin(`DROP DATABASE IF EXISTS "${names.database}" WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS "${names.app}", "${names.monitor}", "${names.owner}"`);
  });

  test('when the app starts as the row role without MIGRATION_DATABASE_URL, then migrating is refused by the server', async () => {
    const config = testConfig({ DATABASE_URL: appUrl(), LOG_LEVEL: 'silent' });
    await expect(startDatabase(config, createLogger(config))).rejects.toThrow(/permission denied/);
  });

  test('when MIGRATION_DATABASE_URL names the owner, then the owner migrates and the app serves with rows only', async () => {
    const config = testConfig({
      DATABASE_URL: appUrl(),
      MIGRATION_DATABASE_URL: ownerUrl(),
      LOG_LEVEL: 'silent',
    });
    const db = await startDatabase(config, createLogger(config));
    opened.push(db);

    const tables = await db.query<{ tablename: string; tableowner: string }>(
      "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['users', 'messages', 'follows', 'schema_migrations']),
    );
    expect(new Set(tables.map((t) => t.tableowner))).toEqual(new Set([names.owner]));

    // The app's role: every table's rows, and nothing else; neither role is a superuser.
    const privileges = await db.query<{ tablename: string; rows: boolean; other: boolean }>(
      `SELECT tablename,
              has_table_privilege(current_user, 'public.' || tablename, 'SELECT, INSERT, UPDATE, DELETE') AS rows,
              has_table_privilege(current_user, 'public.' || tablename, 'TRUNCATE, REFERENCES, TRIGGER') AS other
       FROM pg_tables WHERE schemaname = 'public'`,
    );
    expect(privileges.every((p) => p.rows && !p.other)).toBe(true);
    const superusers = await db.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE rolsuper AND rolname = ANY($1)',
      [[names.owner, names.app, names.monitor]],
    );
    expect(superusers).toEqual([]);

    await db.query('INSERT INTO simulator_latest (action_id) VALUES (42)');
    await expect(db.exec('CREATE TABLE app_made (n int)')).rejects.toThrow(
      /permission denied for schema public/,
    );
    await expect(db.exec('DROP TABLE messages')).rejects.toThrow(/must be owner/);
    await expect(db.exec('TRUNCATE follows')).rejects.toThrow(/permission denied/);
  });

  test('when a migration waits for a lock held by a long transaction, then it gives up after the lock timeout and applies nothing', async () => {
    const owner = await openPostgres({ connectionString: ownerUrl(), poolSize: 1 });
    opened.push(owner);
    const holder = new pg.Client({ connectionString: ownerUrl() });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const probe = { version: 9003, name: '9003_probe', sql: 'ALTER TABLE users ADD COLUMN probe int' };
      await expect(migrate(owner, [...loadMigrations(), probe])).rejects.toThrow(/lock timeout/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await owner.query('SELECT 1 FROM schema_migrations WHERE version = 9003')).toEqual([]);
  });
});
