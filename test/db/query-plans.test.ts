// The app's real queries, on a database big enough for the planner's choice to matter, must never read
// all of messages or follows: each is recorded while MiniTwit's actions run (src/minitwit.ts, as the routes
// call them), then EXPLAINed with the parameters it ran with. A sequential scan of either table fails the
// test, naming the action and the statement.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Database, Queryable } from '../../src/db/index.js';
import * as minitwit from '../../src/minitwit.js';
import { copyTargetOf } from '../../scripts/seed/copy.js';
import { seedDatabase } from '../../scripts/seed/seed.js';
import { openTestDatabase } from '../helpers/database.js';

const GUARDED_TABLES = new Set(['messages', 'follows']);

interface Recorded {
  action: string;
  sql: string;
  params: readonly unknown[];
}

let db: Database;
const recorded: Recorded[] = [];
let currentAction = '';

/** The database as the actions see it, writing down every statement they send. */
const recordingOf = (target: () => Queryable): Queryable => ({
  query: <Row>(sql: string, params: readonly unknown[] = []) => {
    recorded.push({ action: currentAction, sql, params });
    return target().query<Row>(sql, params);
  },
  exec: (sql) => target().exec(sql),
});
const recording: Database = {
  ...recordingOf(() => db),
  get kind() {
    return db.kind;
  },
  transaction: (work) => db.transaction((tx) => work(recordingOf(() => tx))),
  poolStats: () => db.poolStats(),
  close: () => db.close(),
};

/** The context each door gives an action (no read cache here: every read reaches the database). */
const api = (db: Database): minitwit.Context => ({ db, source: 'api' });
const web = (db: Database): minitwit.Context => ({ db, source: 'web' });

async function as<T>(action: string, run: (db: Database) => Promise<T>): Promise<T> {
  currentAction = action;
  try {
    return await run(recording);
  } finally {
    currentAction = '';
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

async function planOf(sql: string, params: readonly unknown[]): Promise<PlanNode> {
  const [row] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const raw = row!['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  return plan[0]!.Plan;
}

function seqScannedTables(node: PlanNode): string[] {
  const own =
    node['Node Type'] === 'Seq Scan' && GUARDED_TABLES.has(node['Relation Name'] ?? '')
      ? [node['Relation Name']!]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScannedTables)];
}

const names = { prolific: '', heavyFollower: '', someone: '', other: '' };

beforeAll(async () => {
  ({ db } = await openTestDatabase());
  // Big enough that a scan of messages or follows costs more than an index path (on tiny tables
  // PostgreSQL rightly prefers scans); the shape of the data (skew) is the seed tool's.
  await seedDatabase(db, copyTargetOf(db)!, {
    users: 3000,
    messages: 40_000,
    follows: 25_000,
    maxFollows: 800,
    seed: 'query-plans',
    prefix: 'planner',
    days: 365,
    flaggedShare: 0.01,
    pwHash: 'not-a-real-hash',
    now: new Date(),
  });
  const [prolific] = await db.query<{ username: string }>(
    `SELECT u.username FROM messages m JOIN users u ON u.user_id = m.author_id
     GROUP BY u.username ORDER BY count(*) DESC LIMIT 1`,
  );
  const [heavy] = await db.query<{ username: string }>(
    `SELECT u.username FROM follows f JOIN users u ON u.user_id = f.who_id
     GROUP BY u.username ORDER BY count(*) DESC LIMIT 1`,
  );
  names.prolific = prolific!.username;
  names.heavyFollower = heavy!.username;
  names.someone = 'planner17';
  names.other = 'planner18';
}, 120_000);
afterAll(() => db.close());

test('the seeded database is as skewed as intended: someone follows hundreds, someone wrote thousands', async () => {
  const [counts] = await db.query<{ follows: number; messages: number }>(
    `SELECT (SELECT count(*) FROM follows f JOIN users u ON u.user_id = f.who_id WHERE u.username = $1)::int AS follows,
            (SELECT count(*) FROM messages m JOIN users u ON u.user_id = m.author_id WHERE u.username = $2)::int AS messages`,
    [names.heavyFollower, names.prolific],
  );
  expect(counts!.follows).toBeGreaterThanOrEqual(500);
  expect(counts!.messages).toBeGreaterThanOrEqual(1000);
});

test('the plan check sees a sequential scan when there is one', async () => {
  const plan = await planOf('SELECT * FROM messages WHERE text = $1', ['nobody wrote this']);
  expect(seqScannedTables(plan)).toEqual(['messages']);
});

test('no action of MiniTwit scans messages or follows sequentially', async () => {
  const page = (limit: number, before?: minitwit.TimelineMessage) => ({
    limit,
    before: before && { pubDate: before.position, messageId: before.messageId },
  });
  const [row] = await db.query<{ userId: number }>(
    'SELECT user_id AS "userId" FROM users WHERE username = $1',
    [names.heavyFollower],
  );
  const signedIn = await as('the signed-in user (web)', (q) => minitwit.findSessionUser(web(q), row!.userId));
  const follower = signedIn!.profile;

  const publicPage = await as('public timeline (web, first page)', (q) =>
    minitwit.publicTimeline(web(q), page(31)),
  );
  await as('public timeline (API, no=100)', (q) => minitwit.publicTimeline(api(q), page(100)));
  // As the API asks, capped in bytes (API_REPLY_MAX_BYTES): the same scan, cut by the texts' running size.
  await as('public timeline (API, no=1000, 2 MiB cap)', (q) =>
    minitwit.publicTimeline(api(q), { ...page(1000), maxTextBytes: 2 * 1024 * 1024 }),
  );
  const tenPages = await minitwit.publicTimeline(web(db), page(300));
  await as('public timeline, deep page (?before=)', (q) =>
    minitwit.publicTimeline(web(q), page(31, tenPages.at(-1))),
  );
  expect(publicPage).toHaveLength(31);

  const user = await as('user timeline (signed in)', async (q) => {
    const author = await minitwit.profileOf(web(q), names.prolific);
    const [, messages] = await Promise.all([
      minitwit.isFollowing(web(q), follower, author),
      minitwit.userTimeline(web(q), author, page(31)),
    ]);
    return messages;
  });
  await as('user timeline (API, no=100)', async (q) =>
    minitwit.userTimeline(api(q), await minitwit.profileOf(api(q), names.prolific), page(100)),
  );
  await as('user timeline (API, no=1000, 2 MiB cap)', async (q) =>
    minitwit.userTimeline(api(q), await minitwit.profileOf(api(q), names.prolific), {
      ...page(1000),
      maxTextBytes: 2 * 1024 * 1024,
    }),
  );
  const prolific = await minitwit.profileOf(web(db), names.prolific);
  const older = await minitwit.userTimeline(web(db), prolific, page(300));
  await as('user timeline, deep page', (q) =>
    minitwit.userTimeline(web(q), prolific, page(31, older.at(-1))),
  );
  expect(user).toHaveLength(31);

  const personal = await as('personal timeline of a user following hundreds', (q) =>
    minitwit.personalTimeline(web(q), follower, page(31)),
  );
  const deeper = await minitwit.personalTimeline(web(db), follower, page(300));
  await as('personal timeline, deep page', (q) =>
    minitwit.personalTimeline(web(q), follower, page(31, deeper.at(-1))),
  );
  expect(personal).toHaveLength(31);

  const heavy = await minitwit.profileOf(api(db), names.heavyFollower);
  const followed = await as('follows of a user following hundreds (API)', (q) =>
    minitwit.followedNames(api(q), heavy, 100),
  );
  expect(followed).toHaveLength(100);
  await as('follows of a user following hundreds (API, the most a list holds)', (q) =>
    minitwit.followedNames(api(q), heavy, 1000),
  );

  await as('posting (API)', (q) => minitwit.postMessage(api(q), { username: names.someone }, 'Hello'));
  await as('posting (web)', (q) => minitwit.postMessage(web(q), { userId: follower.userId }, 'Hello'));
  await as('following (API)', (q) => minitwit.follow(api(q), { username: names.someone }, names.other, 5000));
  await as('unfollowing (API)', (q) => minitwit.unfollow(api(q), { username: names.someone }, names.other));
  await expect(
    as('following past the limit (web)', (q) =>
      minitwit.follow(web(q), { userId: follower.userId }, names.someone, 10),
    ),
  ).rejects.toThrow(minitwit.FollowLimitError);

  const actions = new Set(recorded.map((r) => r.action));
  expect(actions.size).toBe(18);
  const offenders: string[] = [];
  for (const { action, sql, params } of recorded) {
    const tables = seqScannedTables(await planOf(sql, params));
    if (tables.length > 0) {
      offenders.push(`${action}: Seq Scan on ${tables.join(', ')} in\n    ${sql.replace(/\s+/g, ' ')}`);
    }
  }
  expect(offenders, offenders.join('\n')).toEqual([]);
});
