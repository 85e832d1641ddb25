// SQL for the simulator's state: the id of its latest action.
import type { Queryable } from '../db/index.js';

/** Appends (never updates) so that concurrent requests do not wait on one another's row lock. */
export async function recordLatest(db: Queryable, actionId: number): Promise<void> {
  await db.query('INSERT INTO simulator_latest (action_id) VALUES ($1)', [actionId]);
}

/**
 * A common table expression that records `latest` (when the parameter is not NULL) as part of another
 * write's statement: one round trip and one commit for both. A data-modifying CTE runs even when the
 * statement's own work finds nothing (an unknown user), so `latest` is recorded all the same.
 */
export const recordLatestCte = (param: string) =>
  `latest AS (INSERT INTO simulator_latest (action_id) SELECT ${param}::bigint WHERE ${param}::bigint IS NOT NULL)`;

/** The most recently recorded action id, or -1 when none was recorded. */
export async function readLatest(db: Queryable): Promise<number> {
  const rows = await db.query<{ actionId: number }>(
    'SELECT action_id AS "actionId" FROM simulator_latest ORDER BY seq DESC LIMIT 1',
  );
  return rows[0]?.actionId ?? -1;
}

/** Deletes every record but the newest; returns how many went. Safe to run from any replica, any time. */
export async function pruneLatest(db: Queryable): Promise<number> {
  const rows = await db.query<{ deleted: number }>(
    `WITH gone AS (DELETE FROM simulator_latest WHERE seq < (SELECT max(seq) FROM simulator_latest) RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
  );
  return rows[0]?.deleted ?? 0;
}
