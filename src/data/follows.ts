// SQL for the follows table: who follows whom.
import type { Queryable } from '../db/index.js';
import { recordLatestCte } from './simulator.js';
import { lookupForms, userCte, userKeyParam, type UserKey } from './users.js';

export async function isFollowing(db: Queryable, whoId: number, whomId: number): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM follows WHERE who_id = $1 AND whom_id = $2', [whoId, whomId]);
  return rows.length > 0;
}

/** The usernames `whoId` follows, in the order they were followed, at most `limit`. */
export async function listFollowedNames(db: Queryable, whoId: number, limit: number): Promise<string[]> {
  const rows = await db.query<{ username: string }>(
    `SELECT u.username FROM follows f JOIN users u ON u.user_id = f.whom_id
     WHERE f.who_id = $1 ORDER BY f.followed_at, f.whom_id LIMIT $2`,
    [whoId, limit],
  );
  return rows.map((row) => row.username);
}

/** For each (who, whom), whether who follows whom. */
export async function followsPresent(
  db: Queryable,
  pairs: { whoId: number; whomId: number }[],
): Promise<boolean[]> {
  const rows = await db.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM follows f WHERE f.who_id = p.who_id AND f.whom_id = p.whom_id) AS present
     FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS p(who_id, whom_id, position)
     ORDER BY p.position`,
    [pairs.map((p) => p.whoId), pairs.map((p) => p.whomId)],
  );
  return rows.map((row) => row.present);
}

/** A follow, within how many users one may follow, or an unfollow. */
export type FollowChangeKind = { change: 'follow'; limit: number } | { change: 'unfollow' };

export interface FollowChange {
  /** Undefined when no user is `who`. */
  whoId: number | undefined;
  /** Undefined when no user has the name `whom`. */
  whom: { userId: number; username: string } | undefined;
  /** Whether a follow was added (or removed). */
  changed: boolean;
  /** A follow refused: `who` follows `limit` users already, `whom` not among them. */
  atLimit: boolean;
}

/**
 * Follows or unfollows in one statement (one round trip, one commit): resolves both users, changes the
 * follow (idempotent) and records the simulator's `latest` when given (even when a user is unknown). A
 * follow counts `who`'s follows first, on the primary key's index (at most about `limit` entries), and
 * adds nothing at the limit.
 */
export async function changeFollow(
  db: Queryable,
  kind: FollowChangeKind,
  who: UserKey,
  whom: string,
  latest?: number,
): Promise<FollowChange> {
  const [by, key] = userKeyParam(who);
  const write =
    kind.change === 'follow'
      ? `INSERT INTO follows (who_id, whom_id) SELECT who.user_id, whom.user_id FROM who, whom, following
         WHERE following.n < $4 ON CONFLICT DO NOTHING RETURNING who_id`
      : `DELETE FROM follows f USING who, whom WHERE f.who_id = who.user_id AND f.whom_id = whom.user_id
         RETURNING f.who_id`;
  const rows = await db.query<{
    whoId: number | null;
    whomId: number | null;
    username: string | null;
    changed: boolean;
    atLimit: boolean;
  }>(
    `WITH ${recordLatestCte('$3')}, ${userCte('who', '$1', by)}, ${userCte('whom', '$2', 'name')},
       following AS (SELECT count(*) AS n FROM follows WHERE who_id = (SELECT user_id FROM who)),
       changed AS (${write})
     SELECT (SELECT user_id FROM who) AS "whoId", (SELECT user_id FROM whom) AS "whomId",
       (SELECT username FROM whom) AS username, EXISTS (SELECT 1 FROM changed) AS changed,
       ($4::int IS NOT NULL AND (SELECT n FROM following) >= $4::int AND NOT EXISTS (
         SELECT 1 FROM follows f, who, whom WHERE f.who_id = who.user_id AND f.whom_id = whom.user_id
       )) AS "atLimit"`,
    [key, lookupForms(whom), latest ?? null, kind.change === 'follow' ? kind.limit : null],
  );
  const row = rows[0]!;
  return {
    whoId: row.whoId ?? undefined,
    whom: row.whomId === null ? undefined : { userId: row.whomId, username: row.username! },
    changed: row.changed,
    atLimit: row.atLimit,
  };
}

/** How many users follow `userId`, and how many it follows (each count read from an index). */
export async function followCounts(
  db: Queryable,
  userId: number,
): Promise<{ followers: number; following: number }> {
  const rows = await db.query<{ followers: number; following: number }>(
    `SELECT (SELECT count(*) FROM follows WHERE whom_id = $1)::int AS followers,
       (SELECT count(*) FROM follows WHERE who_id = $1)::int AS following`,
    [userId],
  );
  return rows[0]!;
}
