import { afterAll, beforeAll, expect, test } from 'vitest';
import { run as seed } from '../../scripts/commands/seed.js';
import { followRows, messageRows, type SeedPlan } from '../../scripts/seed/rows.js';
import { SEED_PASSWORD } from '../../scripts/seed/seed.js';
import type { Database } from '../../src/db/index.js';
import * as minitwit from '../../src/minitwit.js';
import { openTestDatabase } from '../helpers/database.js';

let db: Database;
const output: string[] = [];
let code: number;

beforeAll(async () => {
  ({ db } = await openTestDatabase());
  const io = { out: (line: string) => output.push(line), err: () => {}, env: {}, db };
  code = await seed(
    ['--users', '300', '--messages', '5000', '--follows', '3000', '--quiet', '--flagged', '0.02'],
    io,
  );
}, 60_000);
afterAll(() => db.close());

const count = async (sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(`SELECT (${sql})::int AS n`, params))[0]!.n;

test('when seeding, then it adds what was asked and says how long it took', async () => {
  expect(code).toBe(0);
  expect(output.join('\n')).toMatch(/Seeded 300 users, 5000 messages, 3000 follows in [\d.]+ s/);
  expect(await count("SELECT count(*) FROM users WHERE username LIKE 'seed%'")).toBe(300);
  expect(await count('SELECT count(*) FROM messages')).toBe(5000);
  expect(await count('SELECT count(*) FROM follows')).toBe(3000);
});

test('the data is skewed: a few are followed and write far more than most, and some messages are flagged', async () => {
  const mostFollowed = await count('SELECT max(n) FROM (SELECT count(*) n FROM follows GROUP BY whom_id) t');
  const medianFollowed = await count(
    'SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM (SELECT count(*) n FROM follows GROUP BY whom_id) t',
  );
  expect(mostFollowed).toBeGreaterThan(10 * medianFollowed);
  const mostFollowing = await count('SELECT max(n) FROM (SELECT count(*) n FROM follows GROUP BY who_id) t');
  expect(mostFollowing).toBeGreaterThan(100);
  const prolific = await count('SELECT max(n) FROM (SELECT count(*) n FROM messages GROUP BY author_id) t');
  expect(prolific).toBeGreaterThan(20 * (5000 / 300));
  expect(await count('SELECT count(*) FROM messages WHERE flagged')).toBeGreaterThan(0);
  expect(await count('SELECT count(*) FROM follows WHERE who_id = whom_id')).toBe(0);
});

test('the app works on the seeded data: sign-in with the documented password, new users and posts get new ids', async () => {
  const profile = await minitwit.signIn({ db, source: 'api' }, 'seed42', SEED_PASSWORD);
  expect(profile.username).toBe('seed42');
  const newcomer = await minitwit.register(
    { db, source: 'api' },
    { username: 'newcomer', email: 'n@x', password: 'p' },
  );
  expect(newcomer).toBeGreaterThan(await count("SELECT max(user_id) FROM users WHERE username LIKE 'seed%'"));
  await minitwit.postMessage({ db, source: 'api' }, { username: 'newcomer' }, 'first!');
  const [newest] = await minitwit.publicTimeline({ db, source: 'api' }, { limit: 1 });
  expect(newest).toMatchObject({ text: 'first!', username: 'newcomer' });
});

test('seeding again with the same prefix is refused, and nothing is added', async () => {
  const errors: string[] = [];
  const io = { out: () => {}, err: (line: string) => errors.push(line), env: {}, db };
  expect(await seed(['--users', '5', '--messages', '5', '--follows', '5', '--quiet'], io)).toBe(2);
  expect(errors.join('\n')).toContain('already holds a user named seed1');
  expect(await count('SELECT count(*) FROM users')).toBe(301);
});

test('the same seed gives the same rows', () => {
  const plan: SeedPlan = {
    users: 50,
    messages: 200,
    follows: 300,
    seed: 'same',
    prefix: 'p',
    days: 10,
    flaggedShare: 0.1,
    maxFollows: 40,
    pwHash: 'h',
    now: new Date('2026-01-01T00:00:00Z'),
  };
  const ids = Array.from({ length: 50 }, (_, i) => i + 1);
  const text = (plan: SeedPlan) =>
    [...messageRows(plan, ids), ...followRows(plan, ids)].map((chunk) => chunk.text).join('');
  expect(text(plan)).toBe(text({ ...plan }));
  expect(text(plan)).not.toBe(text({ ...plan, seed: 'other' }));
});
