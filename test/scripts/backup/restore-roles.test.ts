// A restore on a server with the least-privilege roles of deploy/postgres/initdb/minitwit-roles.sql (issue
// 18, item 5: it must not run a dump's statements as a superuser). With MIGRATION_DATABASE_URL it connects
// as the schema's owner (the app's role may not create tables); connected as a superuser, it switches to the
// database's owner. Either way the tables belong to the owner and the app's role reads and writes them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { run as backup } from '../../../scripts/commands/backup.js';
import { run as restore } from '../../../scripts/commands/restore.js';
import type { Io } from '../../../scripts/lib/command.js';
import type { Database } from '../../../src/db/index.js';
import { postMessage, register } from '../../../src/minitwit.js';
import { openTestDatabase } from '../../helpers/database.js';
import { serverDatabaseUrl } from '../../helpers/database-url.js';

const adminUrl = process.env.DATABASE_URL;
vi.setConfig({ testTimeout: 60_000 });
const KEY = 'the roles test key, 32 characters or more';

describe.runIf(adminUrl)('restoring with the owner and app roles', () => {
  const suffix = randomBytes(4).toString('hex');
  const names = {
    owner: `mt_owner_${suffix}`,
    app: `mt_app_${suffix}`,
    monitor: `mt_monitor_${suffix}`,
    database: `mt_restore_${suffix}`,
    owner_password: 'owner-secret',
    app_password: 'app-secret',
    monitor_password: 'monitor-secret',
  };
  const second = `mt_restore2_${suffix}`;
  const urlAs = (database: string, role?: string, password?: string) => {
    const url = new URL(serverDatabaseUrl(adminUrl!, database));
    if (role) url.username = role;
    if (password) url.password = password;
    return url.toString();
  };
  const admin = async <T extends pg.QueryResultRow>(sql: string, database?: string) => {
    const client = new pg.Client({ connectionString: database ? urlAs(database) : adminUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  let dir: string;
  let file: string;
  let source: Database;

  beforeAll(async () => {
    const text = readFileSync(
      new URL('../../../deploy/postgres/initdb/minitwit-roles.sql', import.meta.url),
      'utf8',
    )
      .replace(/:'(\w+)'/g, (_, name: keyof typeof names) => `'${names[name]}'`)
      .replace(/:"(\w+)"/g, (_, name: keyof typeof names) => `"${names[name]}"`);
    const [beforeConnect = '', afterConnect = ''] = text.split(/^\\connect .*$/m);
    await admin(`CREATE DATABASE "${names.database}"`);
    await admin(beforeConnect);
    await admin(afterConnect, names.database);
    await admin(`CREATE DATABASE "${second}" OWNER "${names.owner}"`);

    dir = mkdtempSync(join(tmpdir(), 'minitwit-restore-roles-'));
    const opened = await openTestDatabase();
    source = opened.db;
    await register({ db: source, source: 'api' }, { username: 'ann', email: 'a@x.org', password: 'x' });
    await postMessage({ db: source, source: 'api' }, { username: 'ann' }, 'kept');
    const out: string[] = [];
    const code = await backup([], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      env: { BACKUP_DIR: dir, BACKUP_SIGNING_KEY: KEY, DATABASE_URL: opened.url },
      db: source,
    });
    expect(code, out.join('\n')).toBe(0);
    file = join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.sql.gz'))!,
    );
  });

  afterAll(async () => {
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const database of [names.database, second])
      await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS "${names.app}", "${names.monitor}", "${names.owner}"`);
  });

  const run = async (argv: string[], env: Record<string, string>) => {
    const out: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      env: { BACKUP_SIGNING_KEY: KEY, LOG_LEVEL: 'silent', ...env },
    };
    return { code: await restore(argv, io), out: out.join('\n') };
  };

  /** Who owns the restored tables, and whether the app's role can read and write them. */
  const state = async (database: string) => ({
    owners: (
      await admin<{ owner: string }>(
        "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'",
        database,
      )
    ).map((r) => r.owner),
    restoreRoles: await admin("SELECT 1 FROM pg_roles WHERE rolname LIKE 'minitwit_restore_%'"),
  });

  test('when DATABASE_URL is the app role and MIGRATION_DATABASE_URL the owner, then the restore runs as the owner and the app reads the rows', async () => {
    const { code, out } = await run([file], {
      DATABASE_URL: urlAs(names.database, names.app, names.app_password),
      MIGRATION_DATABASE_URL: urlAs(names.database, names.owner, names.owner_password),
    });
    expect(code, out).toBe(0);
    expect(await state(names.database)).toEqual({ owners: [names.owner], restoreRoles: [] });
    const app = new pg.Client({ connectionString: urlAs(names.database, names.app, names.app_password) });
    await app.connect();
    try {
      const { rows } = await app.query<{ text: string }>('SELECT text FROM messages');
      expect(rows.map((r) => r.text)).toEqual(['kept']);
      await app.query('INSERT INTO simulator_latest (action_id) VALUES (7)');
    } finally {
      await app.end();
    }
  });

  test('when --force replaces what is there, then the schema keeps its grants and the app still reads and writes the rows', async () => {
    const env = {
      DATABASE_URL: urlAs(names.database, names.app, names.app_password),
      MIGRATION_DATABASE_URL: urlAs(names.database, names.owner, names.owner_password),
    };
    // Twice, so the second replaces tables the first left whatever ran before.
    const first = await run(['--force', file], env);
    expect(first.code, first.out).toBe(0);
    const forced = await run(['--force', file], env);
    expect(forced.code, forced.out).toBe(0);
    const app = new pg.Client({ connectionString: env.DATABASE_URL });
    await app.connect();
    try {
      const { rows } = await app.query<{ text: string }>('SELECT text FROM messages');
      expect(rows.map((r) => r.text)).toEqual(['kept']);
      await app.query('INSERT INTO simulator_latest (action_id) VALUES (8)');
    } finally {
      await app.end();
    }
  });

  test('when connected as a superuser to a database a plain role owns, then the restore runs as that owner', async () => {
    const { code, out } = await run([file], { DATABASE_URL: urlAs(second) });
    expect(code, out).toBe(0);
    expect(await state(second)).toEqual({ owners: [names.owner], restoreRoles: [] });
  });
});
