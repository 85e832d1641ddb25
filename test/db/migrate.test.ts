import { afterAll, beforeAll, expect, test } from 'vitest';
import { checksumOf, loadMigrations, migrate, MigrationChangedError } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/index.js';
import { openPostgres } from '../../src/db/postgres.js';
import { openTestDatabase } from '../helpers/database.js';

let db: Database;
let url: string | undefined;
beforeAll(async () => {
  ({ db, url } = await openTestDatabase());
});
afterAll(() => db.close());

test('the migrations are numbered files, in order, without gaps', () => {
  const versions = loadMigrations().map((m) => m.version);
  expect(versions).toEqual(versions.map((_, i) => i + 1));
});

test('when the schema is current, then migrating again applies nothing', async () => {
  expect(await migrate(db)).toEqual([]);
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
});

test('when replicas migrate at the same moment, then each migration is applied exactly once', async () => {
  await db.exec('CREATE TABLE IF NOT EXISTS concurrency_probe (n int)');
  const probe = { version: 9001, name: '9001_probe', sql: 'INSERT INTO concurrency_probe VALUES (1)' };
  const withProbe = [...loadMigrations(), probe];
  // On a server, each "replica" is its own pool, as separate processes would be.
  const replicas = url
    ? await Promise.all([1, 2, 3, 4].map(() => openPostgres({ connectionString: url!, poolSize: 1 })))
    : [db, db, db, db];
  const results = await Promise.all(replicas.map((replica) => migrate(replica, withProbe)));
  expect(results.flat()).toEqual(['9001_probe']);
  expect(await db.query('SELECT n FROM concurrency_probe')).toEqual([{ n: 1 }]);
  if (url) await Promise.all(replicas.map((replica) => replica.close()));
});

test("every applied migration has its file's checksum recorded", async () => {
  const migrations = loadMigrations();
  const rows = await db.query<{ version: number; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations WHERE version = ANY($1) ORDER BY version',
    [migrations.map((m) => m.version)],
  );
  expect(rows).toEqual(migrations.map((m) => ({ version: m.version, checksum: checksumOf(m) })));
});

test("when an applied migration's file has changed, then migrating stops, names the file and applies nothing", async () => {
  const [first, ...rest] = loadMigrations();
  const edited = { ...first!, sql: `${first!.sql}\n-- edited in place` };
  const added = { version: 9002, name: '9002_never_applied', sql: 'CREATE TABLE never_applied (n int)' };
  const attempt = migrate(db, [edited, ...rest, added]);
  await expect(attempt).rejects.toBeInstanceOf(MigrationChangedError);
  await expect(attempt).rejects.toThrow(`Migration ${first!.name}.sql was changed after it was applied`);
  expect(await db.query('SELECT 1 FROM schema_migrations WHERE version = 9002')).toEqual([]);
  expect(await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'never_applied'")).toEqual([]);
});

test('when only the line endings differ (a Windows checkout), then it is the same migration', async () => {
  const crlf = loadMigrations().map((m) => ({ ...m, sql: m.sql.replace(/\n/g, '\r\n') }));
  expect(await migrate(db, crlf)).toEqual([]);
});

test("when a migration was applied before checksums were recorded, then its current file's is recorded", async () => {
  const [first] = loadMigrations();
  await db.query('UPDATE schema_migrations SET checksum = NULL WHERE version = $1', [first!.version]);
  expect(await migrate(db)).toEqual([]);
  const [row] = await db.query<{ checksum: string }>(
    'SELECT checksum FROM schema_migrations WHERE version = $1',
    [first!.version],
  );
  expect(row?.checksum).toBe(checksumOf(first!));
});

test('the constraints say what the domain means', async () => {
  const user = async (name: string) =>
    (
      await db.query<{ id: number }>(
        "INSERT INTO users (username, email, pw_hash) VALUES ($1, 'a@b', 'x') RETURNING user_id AS id",
        [name],
      )
    )[0]!.id;
  const a = await user('constraint-a');
  const b = await user('constraint-b');
  await expect(user('constraint-a')).rejects.toThrow(/unique|duplicate/i);
  await db.query('INSERT INTO follows (who_id, whom_id) VALUES ($1, $2)', [a, b]);
  await expect(db.query('INSERT INTO follows (who_id, whom_id) VALUES ($1, $2)', [a, b])).rejects.toThrow(
    /duplicate|unique/i,
  );
  await expect(db.query('INSERT INTO follows (who_id, whom_id) VALUES ($1, 999999)', [a])).rejects.toThrow(
    /foreign key/i,
  );
  await expect(db.query("INSERT INTO messages (author_id, text) VALUES (999999, 'x')")).rejects.toThrow(
    /foreign key/i,
  );
  await expect(db.query("INSERT INTO messages (author_id, text) VALUES ($1, '')", [a])).rejects.toThrow(
    /check/i,
  );
});

test('every timeline query can use an index', async () => {
  const indexes = (
    await db.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'")
  ).map((r) => r.indexdef);
  expect(
    indexes.some((d) =>
      /messages_public_idx.*\(pub_date DESC, message_id DESC\) WHERE \(NOT flagged\)/.test(d),
    ),
  ).toBe(true);
  expect(
    indexes.some((d) => /messages_author_idx.*\(author_id, pub_date DESC, message_id DESC\)/.test(d)),
  ).toBe(true);
  expect(indexes.some((d) => /follows_pkey.*\(who_id, whom_id\)/.test(d))).toBe(true);
});
