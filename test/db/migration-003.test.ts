// Migration 003 on a database that already holds users: names become NFC where that loses no one, every
// user stays reachable by the name they had, and the app fills in the names' skeletons at start.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findUserByName } from '../../src/data/users.js';
import type { Database } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrate.js';
import { backfillNameSkeletons } from '../../src/minitwit.js';
import { nameSkeletons } from '../../src/usernames.js';
import { openTestDatabase } from '../helpers/database.js';

let db: Database;
const ids = new Map<string, number>();

beforeAll(async () => {
  ({ db } = await openTestDatabase());
  // The database as it was before 003: its objects gone, and it not recorded as applied (the later
  // migrations, which do not touch what 003 made, stay applied).
  await db.exec(`DELETE FROM schema_migrations WHERE version = 3;
    DROP TABLE rate_limits;
    ALTER TABLE users DROP COLUMN session_version, DROP COLUMN username_skeleton`);
  for (const username of [
    'Rene\u0301', // decomposed, alone: becomes "René"
    'Zoe\u0308', // decomposed ...
    'Zo\u00EB', // ... while its composed form is taken: both stay as they are
    'A\u030Angstro\u0308m', // decomposed, and ...
    '\u212Bngstr\u00F6m', // ... the Angstrom sign: both compose to "Ångström"; the first one gets it
    'plain',
  ]) {
    const [row] = await db.query<{ userId: number }>(
      `INSERT INTO users (username, email, pw_hash) VALUES ($1, 'x@example.com', 'h') RETURNING user_id AS "userId"`,
      [username],
    );
    ids.set(username, row!.userId);
  }
  await db.query('INSERT INTO messages (author_id, text) VALUES ($1, $2)', [ids.get('Rene\u0301'), 'kept']);
  expect(await migrate(db)).toEqual(['003_security']);
});
afterAll(() => db.close());

const names = async () =>
  new Map(
    (
      await db.query<{ userId: number; username: string }>('SELECT user_id AS "userId", username FROM users')
    ).map((row) => [row.userId, row.username]),
  );

test('when a decomposed name composes to a free name, then it is stored composed, and found by either form', async () => {
  const id = ids.get('Rene\u0301')!;
  expect((await names()).get(id)).toBe('Ren\u00E9');
  expect((await findUserByName(db, 'Ren\u00E9'))?.userId).toBe(id);
  expect((await findUserByName(db, 'Rene\u0301'))?.userId).toBe(id);
  expect(await db.query('SELECT text FROM messages WHERE author_id = $1', [id])).toEqual([{ text: 'kept' }]);
});

test('when its composed form is taken, then both users keep their names and each is found by its own', async () => {
  const decomposed = ids.get('Zoe\u0308')!;
  const composed = ids.get('Zo\u00EB')!;
  expect((await names()).get(decomposed)).toBe('Zoe\u0308');
  expect((await findUserByName(db, 'Zoe\u0308'))?.userId).toBe(decomposed);
  expect((await findUserByName(db, 'Zo\u00EB'))?.userId).toBe(composed);
});

test('when two names compose to the same one, then the first user gets it and the other keeps theirs', async () => {
  const first = ids.get('A\u030Angstro\u0308m')!;
  const second = ids.get('\u212Bngstr\u00F6m')!;
  const after = await names();
  expect(after.get(first)).toBe('\u00C5ngstr\u00F6m');
  expect(after.get(second)).toBe('\u212Bngstr\u00F6m');
  expect((await findUserByName(db, '\u212Bngstr\u00F6m'))?.userId).toBe(second);
});

test('when the app starts after it, then every user gets the skeleton of their name, once', async () => {
  expect((await backfillNameSkeletons(db)).computed).toBe(6);
  const rows = await db.query<{ username: string; skeleton: string }>(
    'SELECT username, username_skeleton AS skeleton FROM users',
  );
  for (const { username, skeleton } of rows) expect(skeleton).toBe(nameSkeletons(username).folded);
  expect(await backfillNameSkeletons(db)).toEqual({ computed: 0, lookalikes: [] });
});

test('when it has run, then every user has session version 0 and the rate_limits table exists', async () => {
  expect(await db.query('SELECT DISTINCT session_version AS v FROM users')).toEqual([{ v: 0 }]);
  expect(await db.query('SELECT count(*)::int AS n FROM rate_limits')).toEqual([{ n: 0 }]);
});
