// Rows written straight into the tables, for the tests of the SQL and of the tools that read it back
// (the app's own writes go through its actions: src/minitwit.ts).
import type { Queryable } from '../../src/db/index.js';

/** Stores a message as posted now; returns its id. */
export async function insertMessage(db: Queryable, authorId: number, text: string): Promise<number> {
  const rows = await db.query<{ messageId: number }>(
    'INSERT INTO messages (author_id, text) VALUES ($1, $2) RETURNING message_id AS "messageId"',
    [authorId, text],
  );
  return rows[0]!.messageId;
}

/** `whoId` follows `whomId`. */
export async function follow(db: Queryable, whoId: number, whomId: number): Promise<void> {
  await db.query('INSERT INTO follows (who_id, whom_id) VALUES ($1, $2)', [whoId, whomId]);
}
