// Writes the legacy rows into our schema, in one transaction, keeping their ids. Idempotent: a row whose id
// (or, for follows, whose pair) is already there is left as it is and counted as such, so a second run adds
// nothing. Afterwards the identity sequences start past the highest id, so new posts get new ids.
import type { Queryable } from '../../src/db/index.js';
import { nameSkeletons } from '../../src/usernames.js';
import type { LegacyData, Skipped } from './legacy-rows.js';

const BATCH = 1000;

export interface ImportCounts {
  added: { users: number; follows: number; messages: number };
  alreadyThere: { users: number; follows: number; messages: number };
  skipped: Skipped;
}

function* batches<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += BATCH) yield rows.slice(i, i + BATCH);
}

/** Users already in the target: by id, by name, and by what their names look like (their skeletons). */
async function existingUsers(tx: Queryable) {
  const rows = await tx.query<{
    userId: number;
    username: string;
    folded: string | null;
    asWritten: string | null;
  }>(
    `SELECT user_id AS "userId", username, username_skeleton AS folded,
            username_skeleton_as_written AS "asWritten" FROM users`,
  );
  // A row the app has not yet given skeletons (it does at its next start) gets them here.
  const skeletons = rows.flatMap(({ username, folded, asWritten }) =>
    folded !== null && asWritten !== null ? [folded, asWritten] : Object.values(nameSkeletons(username)),
  );
  return {
    byId: new Map(rows.map((r) => [r.userId, r.username])),
    names: new Set(rows.map((r) => r.username)),
    lookalikes: new Set(skeletons),
  };
}

export async function writeLegacy(
  tx: Queryable,
  data: LegacyData,
  progress: (rows: number) => void = () => {},
): Promise<ImportCounts> {
  const skipped: Skipped = new Map(data.skipped);
  const skip = (reason: string, n = 1) => skipped.set(reason, (skipped.get(reason) ?? 0) + n);
  const added = { users: 0, follows: 0, messages: 0 };
  const alreadyThere = { users: 0, follows: 0, messages: 0 };

  const existing = await existingUsers(tx);
  const users = data.users.filter((user) => {
    const name = existing.byId.get(user.userId);
    if (name === user.username) alreadyThere.users++;
    else if (name !== undefined) skip('users whose id another user already has in this database');
    else if (existing.names.has(user.username)) skip('users whose username is taken in this database');
    else if (
      existing.lookalikes.has(user.skeletons.folded) ||
      existing.lookalikes.has(user.skeletons.asWritten)
    )
      skip("users whose username looks like a user's in this database");
    else return true;
    return false;
  });
  const imported = new Set([
    ...users.map((u) => u.userId),
    ...data.users.filter((u) => existing.byId.get(u.userId) === u.username).map((u) => u.userId),
  ]);
  for (const batch of batches(users)) {
    const rows = await tx.query(
      `INSERT INTO users (user_id, username, email, pw_hash, username_skeleton, username_skeleton_as_written)
       OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [
        batch.map((u) => u.userId),
        batch.map((u) => u.username),
        batch.map((u) => u.email),
        batch.map((u) => u.pwHash),
        batch.map((u) => u.skeletons.folded),
        batch.map((u) => u.skeletons.asWritten),
      ],
    );
    added.users += rows.length;
    progress(batch.length);
  }

  const follows = data.follows.filter((f) => imported.has(f.whoId) && imported.has(f.whomId));
  if (follows.length < data.follows.length)
    skip('follows of or by a user who is missing or was not imported', data.follows.length - follows.length);
  for (const batch of batches(follows)) {
    const rows = await tx.query(
      `INSERT INTO follows (who_id, whom_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])
       ON CONFLICT DO NOTHING RETURNING who_id`,
      [batch.map((f) => f.whoId), batch.map((f) => f.whomId)],
    );
    added.follows += rows.length;
    alreadyThere.follows += batch.length - rows.length;
    progress(batch.length);
  }

  const messages = data.messages.filter((m) => imported.has(m.authorId));
  if (messages.length < data.messages.length)
    skip('messages whose author is missing or was not imported', data.messages.length - messages.length);
  for (const batch of batches(messages)) {
    const rows = await tx.query(
      `INSERT INTO messages (message_id, author_id, text, pub_date, flagged) OVERRIDING SYSTEM VALUE
       SELECT id, author, text, to_timestamp(seconds), flagged
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::float8[], $5::boolean[])
         AS m(id, author, text, seconds, flagged)
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [
        batch.map((m) => m.messageId),
        batch.map((m) => m.authorId),
        batch.map((m) => m.text),
        batch.map((m) => m.pubDate),
        batch.map((m) => m.flagged),
      ],
    );
    added.messages += rows.length;
    alreadyThere.messages += batch.length - rows.length;
    progress(batch.length);
  }

  // Identity columns keep their own counters: without this, the next post would collide with imported ids.
  for (const [table, column] of [
    ['users', 'user_id'],
    ['messages', 'message_id'],
  ] as const) {
    await tx.query(
      `SELECT setval(pg_get_serial_sequence('${table}', '${column}'),
                     COALESCE((SELECT max(${column}) FROM ${table}), 0) + 1, false)`,
    );
  }
  return { added, alreadyThere, skipped };
}
