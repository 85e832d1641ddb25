// npm run backup and npm run restore on the test database (PGlite, or the server when DATABASE_URL is set:
// then pg_dump must be installed, as it is wherever a PostgreSQL server is).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { run as backup } from '../../../scripts/commands/backup.js';
import type { Manifest } from '../../../scripts/backup/archive.js';
import { inventory } from '../../../scripts/backup/inventory.js';
import { run as restore } from '../../../scripts/commands/restore.js';
import type { Io } from '../../../scripts/lib/command.js';
import { follow, postMessage, register } from '../../../src/minitwit.js';
import type { Database } from '../../../src/db/index.js';
import { openTestDatabase } from '../../helpers/database.js';

const AWKWARD_TEXTS = [
  '\uFEFFstarts with a byte-order mark',
  'emoji 😀👍🏽 and "double" and \'single\' quotes',
  'back\\slash, \\n not a newline, tab\there',
  'two\nlines; -- and a comment-like tail /* too */',
  "$$ dollar $tag$ and E'\\' and \\. and \\copy",
  '12345',
];

const SIGNING_KEY = 'a test key, 32 characters or more, for the manifests';
let dir: string;
const databases: { db: Database; url: string | undefined }[] = [];
let source: { db: Database; url: string | undefined };

const io = (target: { db: Database; url: string | undefined }, out: string[]): Io => ({
  out: (line) => out.push(line),
  err: (line) => out.push(line),
  env: {
    BACKUP_DIR: dir,
    BACKUP_SIGNING_KEY: SIGNING_KEY,
    ...(target.url ? { DATABASE_URL: target.url } : {}),
  },
  db: target.db,
});

async function fresh() {
  const opened = await openTestDatabase();
  databases.push(opened);
  return opened;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minitwit-backup-'));
  source = await fresh();
  const { db } = source;
  await register(
    { db, source: 'api' },
    { username: `Ann O'Brien "the 2nd"`, email: 'ann@example.com', password: 'x' },
  );
  await register({ db, source: 'api' }, { username: '007', email: 'bond@example.com', password: 'y' });
  for (const text of AWKWARD_TEXTS)
    await postMessage({ db, source: 'api' }, { username: `Ann O'Brien "the 2nd"` }, text);
  await follow({ db, source: 'api' }, { username: '007' }, `Ann O'Brien "the 2nd"`, 10);
});

afterAll(async () => {
  await Promise.all(databases.map(({ db }) => db.close()));
  rmSync(dir, { recursive: true, force: true });
});

const dumps = () => readdirSync(dir).filter((f) => f.endsWith('.sql.gz'));

test('when backing up and restoring into another database, then every table and every character comes back', async () => {
  const out: string[] = [];
  expect(await backup([], io(source, out))).toBe(0);
  const [file] = dumps();
  expect(out[0]).toMatch(/^Backed up to .*minitwit-\d{8}T\d{6}Z\.sql\.gz/);
  const manifest = JSON.parse(
    readFileSync(join(dir, file!.replace('.sql.gz', '.manifest.json')), 'utf8'),
  ) as Manifest;
  expect(manifest.tables.find((t) => t.table === 'messages')?.rows).toBe(AWKWARD_TEXTS.length);
  expect(manifest.migrations.map((m) => m.name)).toContain('001_initial_schema');
  expect(readFileSync(join(dir, `${file}.sha256`), 'utf8')).toBe(`${manifest.sha256}  ${file}\n`);
  // The backup is recorded for /metrics.
  const [recorded] = await source.db.query<{ file: string }>('SELECT file FROM backups');
  expect(recorded?.file).toBe(file);

  const target = await fresh();
  await target.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public'); // an empty database
  const restored: string[] = [];
  expect(await restore([join(dir, file!)], io(target, restored))).toBe(0);
  expect(restored.join('\n')).toContain('messages                      6 rows, digest equal');

  // Read with a prefix: PGlite's client drops a byte-order mark at the start of a returned value (the
  // database holds it, as octet_length shows), which would hide whether the restore kept it.
  const texts = await target.db.query<{ text: string; bytes: number }>(
    `SELECT '>' || text AS text, octet_length(text) AS bytes FROM messages ORDER BY message_id`,
  );
  expect(texts.map((m) => m.text.slice(1))).toEqual(AWKWARD_TEXTS);
  expect(texts[0]!.bytes).toBe(Buffer.byteLength(AWKWARD_TEXTS[0]!));
  const before = (await source.db.transaction(inventory)).filter((t) => t.table !== 'backups');
  const after = (await target.db.transaction(inventory)).filter((t) => t.table !== 'backups');
  expect(after).toEqual(before);
  // New rows get new ids after the restore: the identity sequences came along.
  await postMessage({ db: target.db, source: 'api' }, { username: '007' }, 'after the restore');
  const [newest] = await target.db.query<{ id: number }>('SELECT max(message_id) AS id FROM messages');
  const [old] = await source.db.query<{ id: number }>('SELECT max(message_id) AS id FROM messages');
  expect(newest!.id).toBe(old!.id + 1);
});

test('when the target database holds tables, then restore refuses without --force and replaces them with it', async () => {
  await backup([], io(source, []));
  const file = join(dir, dumps().at(-1)!);
  const target = await fresh(); // migrated: it has (empty) tables
  await postMessage({ db: target.db, source: 'api' }, { username: 'nobody' }, 'x').catch(() => {});
  const out: string[] = [];
  expect(await restore([file], io(target, out))).toBe(2);
  expect(out.join('\n')).toMatch(/not empty .*--force/s);
  expect(await restore([file, '--force'], io(target, []))).toBe(0);
  const [count] = await target.db.query<{ n: number }>('SELECT count(*) AS n FROM messages');
  expect(count!.n).toBe(AWKWARD_TEXTS.length);
});

test('when a backup is damaged, missing or its checksum file gone, then restore says so, exits 2 and touches nothing', async () => {
  await backup([], io(source, []));
  const file = join(dir, dumps().at(-1)!);
  const damagedDir = mkdtempSync(join(tmpdir(), 'minitwit-damaged-'));
  const damaged = join(damagedDir, file.split('/').at(-1)!);
  const bytes = readFileSync(file);
  bytes[bytes.length - 10]! ^= 0xff;
  writeFileSync(damaged, bytes);
  copyFileSync(`${file}.sha256`, `${damaged}.sha256`);
  copyFileSync(file.replace('.sql.gz', '.manifest.json'), damaged.replace('.sql.gz', '.manifest.json'));
  const target = await fresh();
  const before = await target.db.transaction(inventory);
  const cases: [string[], RegExp][] = [
    [[damaged, '--force'], /Checksum mismatch.*nothing was restored/],
    [[join(damagedDir, 'nope.sql.gz')], /Backup not found/],
  ];
  for (const [argv, message] of cases) {
    const out: string[] = [];
    expect(await restore(argv, io(target, out))).toBe(2);
    expect(out.join('\n')).toMatch(message);
    expect(out.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
  }
  rmSync(`${damaged}.sha256`);
  writeFileSync(damaged, readFileSync(file));
  const out: string[] = [];
  expect(await restore([damaged, '--force'], io(target, out))).toBe(2);
  expect(out.join('\n')).toMatch(/Checksum file not found/);
  expect(await target.db.transaction(inventory)).toEqual(before);
  rmSync(damagedDir, { recursive: true, force: true });
});

test('when restore is called without a file or backup with a bad schedule, then it is a usage error', async () => {
  const out: string[] = [];
  expect(await restore([], io(source, out))).toBe(2);
  expect(out[0]).toContain('give one backup file');
  const scheduled: string[] = [];
  const env = {
    ...io(source, scheduled),
    env: { BACKUP_DIR: dir, BACKUP_SIGNING_KEY: SIGNING_KEY, BACKUP_SCHEDULE: 'every full moon' },
  };
  expect(await backup(['--scheduled'], env)).toBe(2);
  expect(scheduled[0]).toContain('not a cron expression');
});
