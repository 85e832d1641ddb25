// npm run import-sqlite, on a SQLite database built here with the original MiniTwit's schema.sql and rows
// that old databases really hold: quotes and spaces in names, numbers stored by numeric affinity, empty and
// flagged messages, nulls, duplicate users and follows, follows of users who were deleted.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run as importSqlite } from '../../scripts/commands/import-sqlite.js';
import type { Database } from '../../src/db/index.js';
import { postMessage, publicTimeline, signIn } from '../../src/minitwit.js';
import { openTestDatabase } from '../helpers/database.js';

// The original's schema.sql, as it was.
const SCHEMA = `
drop table if exists user;
create table user (
  user_id integer primary key autoincrement,
  username string not null,
  email string not null,
  pw_hash string not null
);
drop table if exists follower;
create table follower (
  who_id integer,
  whom_id integer
);
drop table if exists message;
create table message (
  message_id integer primary key autoincrement,
  author_id integer not null,
  text string not null,
  pub_date integer,
  flagged integer
);`;

const ANN = `Ann "Quote" O'Brien`;
const annHash = `pbkdf2:sha256:260000$s4lt$${pbkdf2Sync('ann pass', 's4lt', 260000, 32, 'sha256').toString('hex')}`;
const numberHash = `sha1$NaCl$${createHmac('sha1', 'NaCl').update('numbers').digest('hex')}`;
const T0 = 1_582_246_860;

let dir: string;
let file: string;
let db: Database;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minitwit-import-'));
  file = join(dir, 'minitwit.db');
  const legacy = new DatabaseSync(file);
  legacy.exec(SCHEMA);
  const user = legacy.prepare('INSERT INTO user (user_id, username, email, pw_hash) VALUES (?, ?, ?, ?)');
  user.run(1, ANN, 'ann@example.com', annHash);
  user.run(2, '12345', 'numbers@example.com', numberHash); // numeric affinity: stored as the integer 12345
  user.run(3, 'Carl', 'carl@example.com', createHash('sha1').update('x').digest('hex'));
  user.run(4, ANN, 'ann2@example.com', annHash); // a duplicate username: the app checked, the schema did not
  user.run(5, 'Deleted Dave', 'dave@example.com', annHash);
  legacy.prepare('DELETE FROM user WHERE user_id = 5').run(); // leaves his follows and messages behind
  const follow = legacy.prepare('INSERT INTO follower (who_id, whom_id) VALUES (?, ?)');
  for (const [who, whom] of [
    [1, 2],
    [1, 2],
    [2, 1],
    [1, 5],
    [5, 1],
    [4, 1],
    [null, 1],
  ] as const)
    follow.run(who, whom);
  const message = legacy.prepare(
    'INSERT INTO message (message_id, author_id, text, pub_date, flagged) VALUES (?, ?, ?, ?, ?)',
  );
  message.run(10, 1, 'Hello, "world" \\o/ 😀\ttab\nnewline', T0, 0);
  message.run(11, 1, '', T0 + 1, 0); // the original API stored empty messages
  message.run(12, 2, 'flagged by a moderator', T0 + 2, 1);
  message.run(13, 2, '42', T0 + 3, null); // comes back as the integer 42
  message.run(14, 3, 'no date', null, 0);
  message.run(15, 5, 'by a deleted user', T0 + 4, 0);
  message.run(16, 4, 'by the duplicate Ann', T0 + 5, 0);
  legacy.close();
  ({ db } = await openTestDatabase());
});

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const lines: string[] = [];
  const code = await importSqlite(argv, {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    env: {},
    db,
  });
  return { code, text: lines.join('\n') };
}

const line = (text: string, what: string) =>
  new RegExp(`^\\s+${what}\\s+(\\d+) added\\s+(\\d+) already there$`, 'm').exec(text)!.slice(1).map(Number);

test('when an original MiniTwit is imported, then what fits is copied with its ids, and the rest is counted by reason', async () => {
  const { code, text } = await run(file);
  expect(code).toBe(0);
  expect(line(text, 'users')).toEqual([3, 0]);
  expect(line(text, 'follows')).toEqual([2, 0]);
  expect(line(text, 'messages')).toEqual([4, 0]);
  expect(text).toMatch(/1\s+users whose username an earlier user already has/);
  expect(text).toMatch(/4\s+follows of or by a user who is missing or was not imported/);
  expect(text).toMatch(/1\s+duplicate follows/);
  expect(text).toMatch(/1\s+empty messages/);
  expect(text).toMatch(/2\s+messages whose author is missing or was not imported/);
  expect(text).toMatch(/1\s+messages without a valid pub_date \(imported, dated 1970-01-01\)/);

  const users = await db.query<{ userId: number; username: string }>(
    'SELECT user_id AS "userId", username FROM users ORDER BY user_id',
  );
  expect(users).toEqual([
    { userId: 1, username: ANN },
    { userId: 2, username: '12345' },
    { userId: 3, username: 'Carl' },
  ]);
  const messages = await db.query<{ id: number; text: string; flagged: boolean; at: Date }>(
    'SELECT message_id AS id, text, flagged, pub_date AS at FROM messages ORDER BY message_id',
  );
  expect(messages.map((m) => [m.id, m.text, m.flagged])).toEqual([
    [10, 'Hello, "world" \\o/ 😀\ttab\nnewline', false],
    [12, 'flagged by a moderator', true],
    [13, '42', false],
    [14, 'no date', false],
  ]);
  expect(messages[0]!.at.getTime()).toBe(T0 * 1000);
  expect(messages[3]!.at.getTime()).toBe(0);
  const shown = (await publicTimeline({ db, source: 'web' }, { limit: 10 })).map((m) => m.messageId);
  expect(shown).not.toContain(12);
});

test('when it is imported again, then nothing is added and every row is counted as already there', async () => {
  const { code, text } = await run(file);
  expect(code).toBe(0);
  expect(line(text, 'users')).toEqual([0, 3]);
  expect(line(text, 'follows')).toEqual([0, 2]);
  expect(line(text, 'messages')).toEqual([0, 4]);
  const [counts] = await db.query<{ users: number; messages: number; follows: number }>(
    'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM follows) AS follows',
  );
  expect(counts).toEqual({ users: 3, messages: 4, follows: 2 });
});

test('when imported users sign in with their old passwords, then they get in; new posts get new ids', async () => {
  expect((await signIn({ db, source: 'web' }, ANN, 'ann pass')).userId).toBe(1);
  expect((await signIn({ db, source: 'web' }, '12345', 'numbers')).userId).toBe(2);
  await expect(signIn({ db, source: 'web' }, ANN, 'wrong')).rejects.toThrow('Invalid password');
  await postMessage({ db, source: 'web' }, { userId: 1 }, 'my first post after the move');
  const [newest] = await db.query<{ id: number }>('SELECT max(message_id) AS id FROM messages');
  expect(newest!.id).toBe(15); // after the highest imported id, 14
});

test('when the file is missing or not a MiniTwit database, then it says so and exits 2', async () => {
  const missing = await run(join(dir, 'nope.db'));
  expect(missing.code).toBe(2);
  expect(missing.text).toContain('Cannot open');
  const other = join(dir, 'other.db');
  new DatabaseSync(other).exec('create table notes (x)');
  const wrong = await run(other);
  expect(wrong.code).toBe(2);
  expect(wrong.text).toContain('not an original MiniTwit database: no table user, follower, message');
  writeFileSync(join(dir, 'text.db'), 'just text, not SQLite at all');
  const garbage = await run(join(dir, 'text.db'));
  expect(garbage.code).toBe(2);
  expect(garbage.text).not.toMatch(/\n\s+at /);
});

describe('names and hashes an attacker could plant (issue 18, item 8)', () => {
  const pbkdf2Hash = (password: string, iterations: number) =>
    `pbkdf2:sha256:${iterations}$salt$${pbkdf2Sync(password, 'salt', iterations, 32, 'sha256').toString('hex')}`;
  // Werkzeug 3.1's default: the ceiling itself, still imported and checked.
  const defaultCostHash = pbkdf2Hash('default cost', 1_000_000);
  // The hostile file's users (ids after the first file's), each with one message.
  const USERS: [number, string, string][] = [
    [101, 'logout', defaultCostHash],
    [102, 'public', defaultCostHash],
    [103, '\u202Eadmin', defaultCostHash],
    [104, 'alice', defaultCostHash],
    [105, 'alic\u0435', defaultCostHash], // a Cyrillic е: looks like alice
    [106, 'mix\u0435d', defaultCostHash], // a Cyrillic е, with no one to look like
    [107, '\u001b[31mred\u001b[0m', defaultCostHash],
    [108, 'ALICE', defaultCostHash],
    [109, 'CARL', defaultCostHash], // Carl is in the database already
    [110, 'zero\u200Bwidth', defaultCostHash],
    [111, 'Rene\u0301e', defaultCostHash], // decomposed: imported composed, not skipped
    [112, '<script>', defaultCostHash], // sign-up takes it (pages encode it): so does the importer
    [113, 'slow pbkdf2', 'pbkdf2:sha256:50000000$salt$00112233445566778899aabbccddeeff'],
    [114, 'huge scrypt', 'scrypt:1048576:8:1$salt$00112233445566778899aabbccddeeff'],
    [115, 'over by one', pbkdf2Hash('over by one', 1_000_001)],
  ];
  let text = '';

  // A million PBKDF2 rounds per hash at the ceiling: a second or more on a busy machine.
  beforeAll(async () => {
    const hostile = join(dir, 'hostile.db');
    const legacy = new DatabaseSync(hostile);
    legacy.exec(SCHEMA);
    for (const [userId, username, pwHash] of USERS) {
      legacy
        .prepare('INSERT INTO user (user_id, username, email, pw_hash) VALUES (?, ?, ?, ?)')
        .run(userId, username, `u${userId}@example.com`, pwHash);
      legacy
        .prepare(
          'INSERT INTO message (message_id, author_id, text, pub_date, flagged) VALUES (?, ?, ?, ?, 0)',
        )
        .run(userId, userId, `by ${userId}`, T0);
    }
    legacy.close();
    const result = await run(hostile);
    expect(result.code).toBe(0);
    text = result.text;
  }, 60_000);

  test('when names break the sign-up rules, then each is skipped with its rows, counted by reason', async () => {
    expect(text).not.toContain('Skipped: nothing');
    for (const [n, reason] of [
      [2, 'users whose username is reserved'],
      [3, 'users whose username holds invisible, control or text-direction characters'],
      [2, "users whose username looks like an earlier user's"],
      [1, 'users whose username mixes scripts that look alike'],
      [1, "users whose username looks like a user's in this database"],
    ] as const)
      expect(text).toMatch(new RegExp(`^\\s+${n}\\s+${reason.replace(/[()]/g, '\\$&')}`, 'm'));
    const imported = await db.query<{ userId: number; username: string }>(
      'SELECT user_id AS "userId", username FROM users WHERE user_id > 100 ORDER BY user_id',
    );
    expect(imported.map((u) => u.username)).toEqual([
      'alice',
      'Ren\u00E9e',
      '<script>',
      'slow pbkdf2',
      'huge scrypt',
      'over by one',
    ]);
    const authors = await db.query<{ id: number }>(
      'SELECT DISTINCT author_id AS id FROM messages WHERE author_id > 100 ORDER BY 1',
    );
    expect(authors.map((a) => Number(a.id))).toEqual(imported.map((u) => Number(u.userId)));
  });

  test('when a name was stored decomposed, then it is imported composed and the report says so', () => {
    expect(text).toMatch(/^\s+1\s+users whose username was stored decomposed/m);
  });

  test('when a hash costs more than the ceiling, then its user is imported without it, counted as skipped, and cannot sign in', async () => {
    expect(text).toMatch(/^\s+2\s+password hashes over the cost ceiling \(PBKDF2 with more than 1,000,000/m);
    expect(text).toMatch(/^\s+1\s+password hashes over the cost ceiling \(scrypt with N·r·p over 262,144/m);
    const hashes = await db.query<{ pwHash: string }>(
      `SELECT pw_hash AS "pwHash" FROM users WHERE username IN ('slow pbkdf2', 'huge scrypt', 'over by one')`,
    );
    expect(hashes).toEqual([{ pwHash: '' }, { pwHash: '' }, { pwHash: '' }]);
    await expect(signIn({ db, source: 'web' }, 'over by one', 'over by one')).rejects.toThrow(
      'Invalid password',
    );
  });

  test(
    'when a hash is at the ceiling (Werkzeug 3.1 defaults), then it is imported and its user signs in',
    { timeout: 60_000 },
    async () => {
      expect((await signIn({ db, source: 'web' }, 'alice', 'default cost')).username).toBe('alice');
    },
  );
});
