// Fills a MiniTwit database with a realistic, skewed data set (see rows.ts and skew.ts), as fast as the
// database takes it (COPY), and leaves it as the app expects: ids from the identity sequences, one
// argon2id hash that signs every seeded user in with SEED_PASSWORD, statistics up to date.
import type { Queryable } from '../../src/db/index.js';
import type { CopyTarget } from './copy.js';
import {
  FOLLOW_COLUMNS,
  followRows,
  MESSAGE_COLUMNS,
  messageRows,
  USER_COLUMNS,
  userRows,
  usernameOf,
  type SeedPlan,
} from './rows.js';

/** Every seeded user signs in with this password. */
export const SEED_PASSWORD = 'minitwit-seed';

export class SeedConflictError extends Error {
  override name = 'SeedConflictError';
}

export interface SeedProgress {
  table: 'users' | 'messages' | 'follows';
  rows: number;
}

export interface SeedResult {
  users: number;
  messages: number;
  follows: number;
  seconds: { users: number; messages: number; follows: number; analyze: number; total: number };
}

async function userIdsOf(db: Queryable, plan: SeedPlan): Promise<Float64Array> {
  const rows = await db.query<{ userId: number; username: string }>(
    'SELECT user_id AS "userId", username FROM users WHERE username LIKE $1',
    [`${plan.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
  );
  const ids = new Float64Array(plan.users).fill(NaN);
  const index = new Map<string, number>();
  for (let i = 0; i < plan.users; i++) index.set(usernameOf(plan, i), i);
  for (const row of rows) {
    const position = index.get(row.username);
    if (position !== undefined) ids[position] = row.userId;
  }
  if (ids.some(Number.isNaN)) throw new Error('seed: some seeded users were not found after COPY');
  return ids;
}

export async function seedDatabase(
  db: Queryable,
  copy: CopyTarget,
  plan: SeedPlan,
  onProgress: (progress: SeedProgress) => void = () => {},
): Promise<SeedResult> {
  const clash = await db.query<{ username: string }>('SELECT username FROM users WHERE username = $1', [
    usernameOf(plan, 0),
  ]);
  if (clash.length > 0) {
    throw new SeedConflictError(
      `the database already holds a user named ${usernameOf(plan, 0)}: seed with another prefix`,
    );
  }
  const started = performance.now();
  let mark = started;
  const lap = () => {
    const now = performance.now();
    const seconds = (now - mark) / 1000;
    mark = now;
    return Number(seconds.toFixed(2));
  };
  const progress = (table: SeedProgress['table']) => (rows: number) => onProgress({ table, rows });

  await copy.copy('users', USER_COLUMNS, userRows(plan), progress('users'));
  const userIds = await userIdsOf(db, plan);
  const usersSeconds = lap();
  await copy.copy('messages', MESSAGE_COLUMNS, messageRows(plan, userIds), progress('messages'));
  const messagesSeconds = lap();
  let follows = 0;
  await copy.copy('follows', FOLLOW_COLUMNS, followRows(plan, userIds), (rows) => {
    follows += rows;
    progress('follows')(rows);
  });
  const followsSeconds = lap();
  // The planner's statistics, so that the first requests get the plans the data calls for.
  await db.exec('ANALYZE users; ANALYZE messages; ANALYZE follows');
  const analyzeSeconds = lap();
  return {
    users: plan.users,
    messages: plan.messages,
    follows,
    seconds: {
      users: usersSeconds,
      messages: messagesSeconds,
      follows: followsSeconds,
      analyze: analyzeSeconds,
      total: Number(((performance.now() - started) / 1000).toFixed(2)),
    },
  };
}
