// Migration 005 on a database that already holds users whose names differ only in case or compatibility
// form (registered before names were folded): at the next start every skeleton is recomputed with the new
// folding, the pairs that now look alike are reported in one warning line, and no one is renamed.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDatabase } from '../../src/app.js';
import { findUserByName } from '../../src/data/users.js';
import type { Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { nameSkeletons } from '../../src/usernames.js';
import { testConfig } from '../helpers/app.js';
import { openTestDatabase } from '../helpers/database.js';

const NAMES = ['alice', 'Alice', 'ALICE', 'ℂarol', 'carol', 'ᴀlice', 'bob', 'René', 'Ivan', 'IVAN'];
let db: Database;
const ids = new Map<string, number>();
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  const opened = await openTestDatabase();
  // The database as it was before 005: its column gone, not recorded as applied, and skeletons computed
  // the old way (case kept, no compatibility folding), under which none of these names looked alike.
  await opened.db.exec(`DELETE FROM schema_migrations WHERE version = 5;
    ALTER TABLE users DROP COLUMN username_skeleton_as_written`);
  for (const username of NAMES) {
    const [row] = await opened.db.query<{ userId: number }>(
      `INSERT INTO users (username, email, pw_hash, username_skeleton) VALUES ($1, 'x@example.com', 'h', $2)
       RETURNING user_id AS "userId"`,
      [username, username.normalize('NFD')],
    );
    ids.set(username, row!.userId);
  }
  const config = testConfig(opened.url ? { DATABASE_URL: opened.url } : {});
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  // Started as the server starts it: migrations, then the skeletons.
  db = await startDatabase(config, createLogger(config, sink), { open: () => Promise.resolve(opened.db) });
});
afterAll(() => db.close());

test('when the app starts after it, then every skeleton is recomputed with case and compatibility folded', async () => {
  const rows = await db.query<{ username: string; folded: string; asWritten: string }>(
    `SELECT username, username_skeleton AS folded, username_skeleton_as_written AS "asWritten" FROM users`,
  );
  expect(rows).toHaveLength(NAMES.length);
  for (const { username, ...skeletons } of rows) expect(skeletons).toEqual(nameSkeletons(username));
  expect(new Set(rows.map((row) => row.folded))).toEqual(
    new Set(['alice', 'carol', 'bob', 'rene\u0301', 'ivan']),
  );
});

test('when existing names now look alike, then one warning line lists each group, oldest first', () => {
  const warnings = logs.filter((line) => line['log.level'] === 'warn');
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({
    lookalikes: [
      ['alice', 'Alice', 'ALICE', 'ᴀlice'],
      ['ℂarol', 'carol'],
      ['Ivan', 'IVAN'],
    ],
  });
  expect(JSON.stringify(warnings[0])).toContain('no one was renamed');
});

test('when it has run, then no one is renamed and each user is found by exactly their own name', async () => {
  for (const [username, userId] of ids) {
    const user = await findUserByName(db, username);
    expect(user).toMatchObject({ userId, username });
  }
});
