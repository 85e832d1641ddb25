// SQL for the users table.
import type { Database, Queryable } from '../db/index.js';

export interface User {
  userId: number;
  username: string;
  email: string;
  pwHash: string;
  /** Raised at every sign-out: sessions issued under an older version have ended. */
  sessionVersion: number;
}

const USER_COLUMNS =
  'user_id AS "userId", username, email, pw_hash AS "pwHash", session_version AS "sessionVersion"';

/**
 * The forms a name is looked up by: as sent, and composed (NFC), the form names are stored in. A row the
 * NFC migration could not normalise (its NFC form was taken) is still found by its exact name, first.
 */
export const lookupForms = (username: string) => [...new Set([username, username.normalize('NFC')])];
const byName = (param: string) =>
  `username = ANY(${param}::text[]) ORDER BY array_position(${param}::text[], username) LIMIT 1`;
const BY_NAME = byName('$1');

/** A user named by id, or by name (resolved in the write's own statement). */
export type UserKey = { userId: number } | { username: string };

export const userKeyParam = (user: UserKey) =>
  'userId' in user ? (['id', user.userId] as const) : (['name', lookupForms(user.username)] as const);

/**
 * A user as another statement's CTE, from an id (a number) or the lookupForms of a name (a text[]) in
 * parameter `param`: writes resolve their user in the same statement (one round trip).
 */
export const userCte = (name: string, param: string, by: 'id' | 'name') =>
  `${name} AS (SELECT user_id, username FROM users WHERE ${by === 'id' ? `user_id = ${param}::bigint` : byName(param)})`;

export async function findUserByName(db: Queryable, username: string): Promise<User | undefined> {
  const rows = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE ${BY_NAME}`, [
    lookupForms(username),
  ]);
  return rows[0];
}

export async function findUserById(db: Queryable, userId: number): Promise<User | undefined> {
  const rows = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE user_id = $1`, [userId]);
  return rows[0];
}

export async function findUserIdByName(db: Queryable, username: string): Promise<number | undefined> {
  const rows = await db.query<{ userId: number }>(`SELECT user_id AS "userId" FROM users WHERE ${BY_NAME}`, [
    lookupForms(username),
  ]);
  return rows[0]?.userId;
}

/** What a name looks like, two ways (src/usernames.ts nameSkeletons). */
export interface NameSkeletons {
  folded: string;
  asWritten: string;
}

/** A user whose name looks like one with these skeletons (shares either of them, either way), if any. */
export async function findNameLookingLike(
  db: Queryable,
  skeletons: NameSkeletons,
): Promise<string | undefined> {
  const rows = await db.query<{ username: string }>(
    `SELECT username FROM users
     WHERE username_skeleton = ANY($1::text[]) OR username_skeleton_as_written = ANY($1::text[])
     ORDER BY user_id LIMIT 1`,
    [[skeletons.folded, skeletons.asWritten]],
  );
  return rows[0]?.username;
}

/** Inserts a user; returns the new id, or undefined when the username is taken (also under a race). */
export async function insertUser(
  db: Queryable,
  user: { username: string; email: string; pwHash: string; skeletons?: NameSkeletons },
): Promise<number | undefined> {
  const rows = await db.query<{ userId: number }>(
    `INSERT INTO users (username, email, pw_hash, username_skeleton, username_skeleton_as_written)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (username) DO NOTHING
     RETURNING user_id AS "userId"`,
    [
      user.username,
      user.email,
      user.pwHash,
      user.skeletons?.folded ?? null,
      user.skeletons?.asWritten ?? null,
    ],
  );
  return rows[0]?.userId;
}

/**
 * Advisory locks of their own key space (the two-key form never meets the one-key form migrations use):
 * one per skeleton, so two sign-ups whose names share a skeleton queue on it.
 */
const SKELETON_LOCK_SPACE = 18;

/**
 * Inserts a user unless their name is taken or one that looks like it exists, as one step against every
 * other sign-up: in one transaction that first locks each of the name's skeletons (in one order, so two
 * sign-ups never hold one lock each while waiting for the other's), then looks, then inserts. Look-alikes
 * sent at once share a skeleton, hence a lock: the later one looks only once the earlier has committed,
 * and finds it. Returns the new id, or why not (`lookalike`: the existing name it looks like).
 */
export function insertUserUnlessLookingLike(
  db: Database,
  user: { username: string; email: string; pwHash: string; skeletons: NameSkeletons },
): Promise<{ userId: number } | { taken: true } | { lookalike: string }> {
  return db.transaction(async (tx) => {
    await tx.query(
      `SELECT pg_advisory_xact_lock($1, key) FROM (
         SELECT DISTINCT hashtext(skeleton) AS key FROM unnest($2::text[]) AS skeleton ORDER BY key
       ) AS keys`,
      [SKELETON_LOCK_SPACE, [user.skeletons.folded, user.skeletons.asWritten]],
    );
    const lookalike = await findNameLookingLike(tx, user.skeletons);
    if (lookalike === user.username) return { taken: true };
    if (lookalike !== undefined) return { lookalike };
    // The unique name still decides against a row whose skeletons are not computed yet (see setSkeletons).
    const userId = await insertUser(tx, user);
    return userId === undefined ? { taken: true } : { userId };
  });
}

export async function updatePasswordHash(db: Queryable, userId: number, pwHash: string): Promise<void> {
  await db.query('UPDATE users SET pw_hash = $2 WHERE user_id = $1', [userId, pwHash]);
}

/** Ends every session of the user (see User.sessionVersion). */
export async function raiseSessionVersion(db: Queryable, userId: number): Promise<void> {
  await db.query('UPDATE users SET session_version = session_version + 1 WHERE user_id = $1', [userId]);
}

/** Up to `limit` users whose skeleton is not yet computed (those that existed before it was). */
export function usersWithoutSkeleton(
  db: Queryable,
  limit: number,
): Promise<{ userId: number; username: string }[]> {
  return db.query(
    'SELECT user_id AS "userId", username FROM users WHERE username_skeleton IS NULL ORDER BY user_id LIMIT $1',
    [limit],
  );
}

export async function setSkeletons(
  db: Queryable,
  rows: { userId: number; skeletons: NameSkeletons }[],
): Promise<void> {
  await db.query(
    `UPDATE users SET username_skeleton = s.folded, username_skeleton_as_written = s.as_written
     FROM unnest($1::bigint[], $2::text[], $3::text[]) AS s(user_id, folded, as_written)
     WHERE users.user_id = s.user_id`,
    [rows.map((r) => r.userId), rows.map((r) => r.skeletons.folded), rows.map((r) => r.skeletons.asWritten)],
  );
}

/** The groups of users whose names share a skeleton (look alike), each oldest first. */
export async function namesSharingSkeleton(db: Queryable): Promise<string[][]> {
  const rows = await db.query<{ names: string[] }>(
    `WITH skeletons AS (
       SELECT username_skeleton AS skeleton, user_id, username FROM users
       UNION SELECT username_skeleton_as_written, user_id, username FROM users
     )
     SELECT array_agg(username ORDER BY user_id) AS names FROM skeletons
     WHERE skeleton IS NOT NULL
     GROUP BY skeleton HAVING count(*) > 1 ORDER BY min(user_id), skeleton`,
  );
  // Names that share both their skeletons would be listed twice.
  const groups = new Map(rows.map((row) => [JSON.stringify(row.names), row.names]));
  return [...groups.values()];
}

/** The ids of those of `names` that exist, each found as findUserIdByName finds it (as sent, then NFC). */
export async function findUserIdsByNames(db: Queryable, names: string[]): Promise<Map<string, number>> {
  const rows = await db.query<{ userId: number; username: string }>(
    'SELECT user_id AS "userId", username FROM users WHERE username = ANY($1::text[])',
    [[...new Set(names.flatMap(lookupForms))]],
  );
  const idOf = new Map(rows.map((row) => [row.username, Number(row.userId)]));
  const found = new Map<string, number>();
  for (const name of names) {
    const id = lookupForms(name)
      .map((form) => idOf.get(form))
      .find((candidate) => candidate !== undefined);
    if (id !== undefined) found.set(name, id);
  }
  return found;
}
