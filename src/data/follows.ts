// SQL for the follows table: who follows whom.
import type { Queryable } from '../db/index.js';

/** Follows `whomId`; following twice changes nothing. Returns whether a follow was added. */
export async function follow(db: Queryable, whoId: number, whomId: number): Promise<boolean> {
  const rows = await db.query(
    'INSERT INTO follows (who_id, whom_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING who_id',
    [whoId, whomId],
  );
  return rows.length > 0;
}

/** Unfollows `whomId`; unfollowing someone not followed changes nothing. Returns whether one was removed. */
export async function unfollow(db: Queryable, whoId: number, whomId: number): Promise<boolean> {
  const rows = await db.query('DELETE FROM follows WHERE who_id = $1 AND whom_id = $2 RETURNING who_id', [
    whoId,
    whomId,
  ]);
  return rows.length > 0;
}

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
