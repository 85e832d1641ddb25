// Issue 18, item 5: a poisoned backup. A dump with `SELECT 1; COMMIT; CREATE TABLE ...; COPY (SELECT ...)
// TO PROGRAM 'id > FILE'`, with a matching .sha256 and manifest, ran the command as the server's OS user,
// and its COMMIT ended the restore's transaction (the data stayed while the tool said nothing was
// restored). Now: only the statements our dumps hold are run, none before the whole dump is checked, as a
// role that is not a superuser, and only from a backup whose manifest is signed with BACKUP_SIGNING_KEY.
// On the server when DATABASE_URL is set (CI step 40; the command then runs as PostgreSQL's OS user, on
// this machine), else on PGlite.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Manifest } from '../../../scripts/backup/archive.js';
import { inventory, userRelations } from '../../../scripts/backup/inventory.js';
import { signManifest } from '../../../scripts/backup/signature.js';
import { run as backup } from '../../../scripts/commands/backup.js';
import { run as restore } from '../../../scripts/commands/restore.js';
import type { Io } from '../../../scripts/lib/command.js';
import type { Database } from '../../../src/db/index.js';
import { postMessage, register } from '../../../src/minitwit.js';
import { openTestDatabase } from '../../helpers/database.js';

const KEY = 'the backup job key: 32 characters or more, kept apart';
let dir: string;
const opened: Database[] = [];
let source: { db: Database; url: string | undefined };
let genuine: string;
/** Files the old restore would have left (the command's output), removed at the end. */
const leftovers: string[] = [];

async function emptyDatabase(): Promise<{ db: Database; url: string | undefined }> {
  const target = await openTestDatabase();
  opened.push(target.db);
  await target.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  return target;
}

/** The target as the restore sees it, recording every statement and transaction it is sent. */
function watched(db: Database) {
  const sent: string[] = [];
  let transactions = 0;
  const spy: Database = {
    kind: db.kind,
    query: (sql, params) => (sent.push(sql), db.query(sql, params)),
    exec: (sql, options) => (sent.push(sql), db.exec(sql, options)),
    transaction: (work) => (transactions++, db.transaction(work)),
    poolStats: () => db.poolStats(),
    close: () => db.close(),
  };
  return { spy, sent, transactions: () => transactions };
}

const io = (target: { db: Database; url: string | undefined }, out: string[], env = {}): Io => ({
  out: (line) => out.push(line),
  err: (line) => out.push(line),
  env: {
    BACKUP_DIR: dir,
    BACKUP_SIGNING_KEY: KEY,
    ...(target.url ? { DATABASE_URL: target.url } : {}),
    ...env,
  },
  db: target.db,
});

/** A backup of `sql` in a folder of its own: the dump, its true .sha256, and a manifest that matches it. */
function forge(sql: string, options: { tables?: Manifest['tables']; key?: string } = {}): string {
  const folder = mkdtempSync(join(dir, 'forged-'));
  const name = 'minitwit-20261201T030000Z.sql.gz';
  const file = join(folder, name);
  const bytes = gzipSync(sql);
  writeFileSync(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(`${file}.sha256`, `${sha256}  ${name}\n`);
  const model = JSON.parse(readFileSync(genuine.replace('.sql.gz', '.manifest.json'), 'utf8')) as Manifest;
  const manifest: Manifest = {
    ...model,
    file: name,
    sha256,
    sizeBytes: bytes.length,
    tables: options.tables ?? [],
    signature: undefined,
  };
  const signed = options.key ? signManifest(manifest, options.key) : manifest;
  writeFileSync(join(folder, 'minitwit-20261201T030000Z.manifest.json'), JSON.stringify(signed));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minitwit-poisoned-'));
  source = await openTestDatabase();
  opened.push(source.db);
  const ctx = { db: source.db, source: 'api' as const };
  await register(ctx, { username: 'ann', email: 'ann@example.com', password: 'x' });
  await postMessage(ctx, { username: 'ann' }, 'a message to keep');
  expect(await backup([], io(source, []))).toBe(0);
  genuine = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.sql.gz'))!,
  );
});

afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
  rmSync(dir, { recursive: true, force: true });
  for (const file of leftovers) rmSync(file, { force: true });
});

test("when a signed backup holds the issue's poisoned dump, then it is refused before any statement runs and the database is unchanged", async () => {
  // World-writable /tmp, not the test's 0700 folder: the server's OS user must be able to write it.
  const marker = join(tmpdir(), `minitwit-poisoned-${randomBytes(6).toString('hex')}`);
  leftovers.push(marker);
  const poisoned = forge(
    `SELECT 1;\nCOMMIT;\nCREATE TABLE public.poisoned (id int);\nCOPY (SELECT 1) TO PROGRAM 'id > ${marker}';\n`,
    { key: KEY }, // signed, as with a stolen key: the statements alone must be refused
  );
  const target = await emptyDatabase();
  const before = await target.db.transaction(inventory);
  const { spy, sent, transactions } = watched(target.db);
  const out: string[] = [];
  const code = await restore([poisoned], { ...io(target, out), db: spy });
  expect(out.join('\n')).toMatch(
    /statement a MiniTwit backup never holds: "SELECT 1".*no statement of the dump ran/s,
  );
  expect(code).toBe(2);
  expect(transactions()).toBe(0);
  expect(sent).toEqual([]);
  expect(existsSync(marker)).toBe(false);
  expect(await userRelations(target.db)).toEqual([]);
  expect(await target.db.transaction(inventory)).toEqual(before);
});

test('when a poisoned statement comes last, after genuine ones, then still nothing of the dump runs', async () => {
  const statements = [
    'CREATE TABLE public.early (id bigint NOT NULL)',
    'INSERT INTO public.early VALUES (1)',
    "COPY (SELECT 1) TO PROGRAM 'true'",
  ];
  const target = await emptyDatabase();
  const { spy, sent, transactions } = watched(target.db);
  const out: string[] = [];
  const code = await restore([forge(`${statements.join(';\n')};\n`, { key: KEY })], {
    ...io(target, out),
    db: spy,
  });
  expect(code).toBe(2);
  expect(out.join('\n')).toContain('"COPY (SELECT 1) TO PROGRAM \'true\'"');
  expect([transactions(), sent]).toEqual([0, []]);
  expect(await userRelations(target.db)).toEqual([]);
});

test('when an allowed statement calls a function only a superuser may, then the restore fails: it runs as a role that is not one', async () => {
  // Only allowed shapes, a manifest that matches what they make, signed: the old restore (as the
  // connection's superuser) read the server's file into a CHECK and restored it, exit 0.
  const sql = [
    'CREATE TABLE public.t (id integer NOT NULL)',
    'INSERT INTO public.t VALUES (1)',
    'ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)',
    "ALTER TABLE ONLY public.t ADD CONSTRAINT t_read CHECK ((pg_catalog.pg_read_file('/etc/hostname') IS NOT NULL))",
  ];
  const digest = createHash('sha256').update('(1)\n').digest('hex');
  const file = forge(`${sql.join(';\n')};\n`, {
    key: KEY,
    tables: [{ table: 't', rows: 1, sha256: digest }],
  });
  const target = await emptyDatabase();
  const out: string[] = [];
  expect(await restore([file], io(target, out))).toBe(1);
  expect(out.join('\n')).toMatch(/permission denied for function pg_read_file.*|nothing was restored/s);
  expect(out.join('\n')).toContain('permission denied for function pg_read_file');
  expect(await userRelations(target.db)).toEqual([]);
  // No role made for the restore is left behind.
  const roles = await target.db.query("SELECT 1 FROM pg_roles WHERE rolname LIKE 'minitwit_restore_%'");
  expect(roles).toEqual([]);
});

test('when a genuine signed backup is restored, then the signature is verified and every table comes back', async () => {
  const target = await emptyDatabase();
  const out: string[] = [];
  expect(await restore([genuine], io(target, out))).toBe(0);
  expect(out.join('\n')).toContain('Signature verified (BACKUP_SIGNING_KEY).');
  const [row] = await target.db.query<{ text: string }>('SELECT text FROM messages');
  expect(row?.text).toBe('a message to keep');
  const data = (t: { table: string }) => t.table !== 'backups';
  expect((await target.db.transaction(inventory)).filter(data)).toEqual(
    (await source.db.transaction(inventory)).filter(data),
  );
});

test('when the manifest is unsigned, signed with another key or changed after signing, then restore refuses it unless --trust-unsigned', async () => {
  const manifestOf = (file: string) => file.replace('.sql.gz', '.manifest.json');
  const copy = (edit: (m: Manifest) => Manifest) => {
    const folder = mkdtempSync(join(dir, 'copy-'));
    const file = join(folder, genuine.split('/').at(-1)!);
    writeFileSync(file, readFileSync(genuine));
    writeFileSync(`${file}.sha256`, readFileSync(`${genuine}.sha256`));
    const manifest = JSON.parse(readFileSync(manifestOf(genuine), 'utf8')) as Manifest;
    writeFileSync(manifestOf(file), JSON.stringify(edit(manifest)));
    return file;
  };
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ['unsigned', copy((m) => ({ ...m, signature: undefined })), {}, /the backup is not signed/],
    [
      'another key',
      copy((m) => signManifest(m, 'another key, also 32 characters or more')),
      {},
      /signature does not match BACKUP_SIGNING_KEY/,
    ],
    [
      'changed',
      copy((m) => ({ ...m, createdAt: '2020-01-01T00:00:00.000Z' })),
      {},
      /signature does not match BACKUP_SIGNING_KEY/,
    ],
    ['no key here', genuine, { BACKUP_SIGNING_KEY: '' }, /BACKUP_SIGNING_KEY is not set/],
  ];
  for (const [, file, env, why] of cases) {
    const target = await emptyDatabase();
    const out: string[] = [];
    expect(await restore([file], io(target, out, env))).toBe(2);
    expect(out.join('\n')).toMatch(why);
    expect(out.join('\n')).toMatch(/Nothing was restored.*--trust-unsigned/s);
    expect(await userRelations(target.db)).toEqual([]);
    const trusted: string[] = [];
    expect(await restore([file, '--trust-unsigned'], io(target, trusted, env))).toBe(0);
    expect(trusted.join('\n')).toMatch(/warning: .*restoring it anyway \(--trust-unsigned\)/);
  }
});

test('when backing up without a key, then the backup is unsigned and says so; a short key or one beside the backups is refused at start', async () => {
  const out: string[] = [];
  const unsignedDir = mkdtempSync(join(dir, 'unsigned-'));
  expect(await backup([], io(source, out, { BACKUP_SIGNING_KEY: '', BACKUP_DIR: unsignedDir }))).toBe(0);
  expect(out.join('\n')).toMatch(/warning: BACKUP_SIGNING_KEY is not set.*--trust-unsigned/);
  const manifest = readdirSync(unsignedDir).find((f) => f.endsWith('.manifest.json'))!;
  expect(JSON.parse(readFileSync(join(unsignedDir, manifest), 'utf8'))).not.toHaveProperty('signature');

  const short: string[] = [];
  expect(await restore([genuine], io(source, short, { BACKUP_SIGNING_KEY: 'short' }))).toBe(2);
  expect(short.join('\n')).toMatch(/Invalid environment variable BACKUP_SIGNING_KEY=\(hidden\)/);
  expect(short.join('\n')).not.toContain('short:');

  const keyFile = join(dir, 'signing-key');
  writeFileSync(keyFile, KEY);
  const beside: string[] = [];
  const env = { BACKUP_SIGNING_KEY: '', BACKUP_SIGNING_KEY_FILE: keyFile };
  expect(await backup([], io(source, beside, env))).toBe(2);
  expect(beside.join('\n')).toMatch(/BACKUP_SIGNING_KEY_FILE=.* is inside BACKUP_DIR/);
});
