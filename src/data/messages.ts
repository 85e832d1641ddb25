// SQL for the messages table and the three timelines.
import type { Queryable } from '../db/index.js';
import { EVERYTHING_CHANGED, INVALIDATION_CHANNEL } from '../caching/channel.js';
import { recordLatestCte } from './simulator.js';
import { userCte, userKeyParam, type UserKey } from './users.js';

export interface TimelineMessage {
  messageId: number;
  text: string;
  pubDate: Date;
  username: string;
  email: string;
  /**
   * `pub_date` to the microsecond (ISO 8601, UTC, six decimals): what a cursor must hold. A JS Date keeps
   * only milliseconds, and a cursor rounded to them would skip messages posted within the same millisecond.
   */
  position: string;
}

/** Where a page of a timeline starts: strictly older than this message (keyset pagination). */
export interface Cursor {
  /** A `position` of TimelineMessage. */
  pubDate: string;
  messageId: number;
}

/**
 * A page: the `limit` newest messages older than `before`, or (paging back towards the newest) the `limit`
 * oldest newer than `after`; newest first either way. With neither, the newest.
 */
export interface PageRequest {
  limit: number;
  before?: Cursor | undefined;
  /**
   * Leave out the messages after the first one whose text brings the page's texts over this many bytes
   * (UTF-8): a reply capped in bytes never needs them (its JSON or HTML is longer than the text), so they are
   * not read.
   */
  maxTextBytes?: number | undefined;
  after?: Cursor | undefined;
}

const TIMELINE_COLUMNS = `m.message_id AS "messageId", m.text, m.pub_date AS "pubDate", u.username, u.email,
  to_char(m.pub_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position`;
/**
 * The page's bounds in SQL: a cursor condition on $1/$2 (with no cursor, NULL: true) that the row
 * comparison serves from the partial indexes, and the order to read in: newest first, or, for a page after
 * a cursor, oldest first (the rows are put back newest first once read).
 */
function bounds(page: PageRequest) {
  const towardsNewer = page.after !== undefined;
  const sign = towardsNewer ? '>' : '<';
  const direction = towardsNewer ? 'ASC' : 'DESC';
  return {
    cursor: `($1::timestamptz IS NULL OR (m.pub_date, m.message_id) ${sign} ($1::timestamptz, $2::bigint))`,
    order: `ORDER BY m.pub_date ${direction}, m.message_id ${direction} LIMIT $3`,
    direction,
    inOrder: <T>(rows: T[]) => (towardsNewer ? rows.reverse() : rows),
  };
}

/**
 * `sql` (a page in `direction`'s order, with `$n` free) without the rows after the first one whose text
 * brings the texts' running size past `$n` bytes. That row is kept, so that the caller's own cut, in the
 * reply's bytes, sees that the page went on. octet_length reads a long text's size from its TOAST pointer:
 * the texts left out are not read.
 */
const withinTextBytes = (sql: string, n: number, direction: string) =>
  `SELECT "messageId", text, "pubDate", username, email, position FROM (
     SELECT *, sum(octet_length(text)) OVER (ORDER BY "pubDate" ${direction}, "messageId" ${direction}) AS running_bytes
     FROM (${sql}) page
   ) sized WHERE running_bytes - octet_length(text) <= $${n} ORDER BY "pubDate" ${direction}, "messageId" ${direction}`;

/** A page's statement and parameters, cut to `maxTextBytes` when it is given (as parameter `$n`). */
const sizedPage = (sql: string, params: unknown[], page: PageRequest): [string, unknown[]] =>
  page.maxTextBytes === undefined
    ? [sql, params]
    : [withinTextBytes(sql, params.length + 1, bounds(page).direction), [...params, page.maxTextBytes]];

const pageParams = (page: PageRequest) => {
  const cursor = page.after ?? page.before;
  return [cursor?.pubDate ?? null, cursor?.messageId ?? null, page.limit];
};

/**
 * Whether a message (flagged or not) stands exactly at `cursor`: every cursor we make names one, since it is
 * the last message of a page shown. One primary-key probe.
 */
export async function messageAtCursor(db: Queryable, cursor: Cursor): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM messages WHERE message_id = $2 AND pub_date = $1::timestamptz', [
    cursor.pubDate,
    cursor.messageId,
  ]);
  return rows.length > 0;
}

/** Everyone's unflagged messages, newest first. */
export async function publicTimeline(db: Queryable, page: PageRequest): Promise<TimelineMessage[]> {
  const { cursor, order, inOrder } = bounds(page);
  return inOrder(
    await db.query<TimelineMessage>(
      ...sizedPage(
        `SELECT ${TIMELINE_COLUMNS} FROM messages m JOIN users u ON u.user_id = m.author_id
         WHERE NOT m.flagged AND ${cursor} ${order}`,
        pageParams(page),
        page,
      ),
    ),
  );
}

/** One author's unflagged messages, newest first. */
export async function userTimeline(
  db: Queryable,
  authorId: number,
  page: PageRequest,
): Promise<TimelineMessage[]> {
  const { cursor, order, inOrder } = bounds(page);
  return inOrder(
    await db.query<TimelineMessage>(
      ...sizedPage(
        `SELECT ${TIMELINE_COLUMNS} FROM messages m JOIN users u ON u.user_id = m.author_id
         WHERE m.author_id = $4 AND NOT m.flagged AND ${cursor} ${order}`,
        [...pageParams(page), authorId],
        page,
      ),
    ),
  );
}

/**
 * A user's own messages and those of everyone they follow, newest first, in two steps whose cost does not
 * grow with the size of the table, nor with how much the followed users wrote:
 *  1. each author's newest message on this page, one index entry each (messages_author_idx holds the
 *     columns needed), and of those the `limit` newest: only their authors can have a message on the page
 *     (any other author's newest is older than `limit` messages of these);
 *  2. the newest page of each of those (at most `limit`) authors, merged.
 * So a page costs one index probe per followed user, plus limit x limit rows at most; FOLLOW_LIMIT caps
 * the probes. (Reading the newest page of every followed author instead fetched up to `limit` rows each:
 * 0.85 s for a user following 50,000.)
 */
export async function personalTimeline(
  db: Queryable,
  userId: number,
  page: PageRequest,
): Promise<TimelineMessage[]> {
  // Towards newer, the same two steps with each author's oldest message after the cursor.
  const { cursor, order, direction, inOrder } = bounds(page);
  return inOrder(
    await db.query<TimelineMessage>(
      `WITH authors AS (SELECT whom_id AS author_id FROM follows WHERE who_id = $4 UNION SELECT $4::bigint),
       on_page AS (
         SELECT authors.author_id FROM authors CROSS JOIN LATERAL (
           SELECT m.pub_date, m.message_id FROM messages m
           WHERE m.author_id = authors.author_id AND NOT m.flagged AND ${cursor}
           ORDER BY m.pub_date ${direction}, m.message_id ${direction} LIMIT 1
         ) edge
         ORDER BY edge.pub_date ${direction}, edge.message_id ${direction} LIMIT $3
       )
       SELECT ${TIMELINE_COLUMNS}
       FROM on_page CROSS JOIN LATERAL (
         SELECT * FROM messages m
         WHERE m.author_id = on_page.author_id AND NOT m.flagged AND ${cursor} ${order}
       ) m
       JOIN users u ON u.user_id = m.author_id
       ${order}`,
      [...pageParams(page), userId],
    ),
  );
}

/**
 * Stores a message as posted now by `author`, in one statement (one round trip, one commit) that also
 * resolves a name and records the simulator's `latest` (when given; recorded even when the author is
 * unknown). Returns the message's and the author's ids, or undefined when no user has that name.
 */
export async function insertMessageAs(
  db: Queryable,
  author: UserKey,
  text: string,
  latest?: number,
): Promise<{ messageId: number; authorId: number } | undefined> {
  const [by, key] = userKeyParam(author);
  const rows = await db.query<{ messageId: number; authorId: number }>(
    `WITH ${recordLatestCte('$3')}, ${userCte('author', '$1', by)}
     INSERT INTO messages (author_id, text) SELECT user_id, $2 FROM author
     RETURNING message_id AS "messageId", author_id AS "authorId"`,
    [key, text, latest ?? null],
  );
  return rows[0];
}

/**
 * Flags messages so that no timeline or API list shows them; returns the ids that exist. The same
 * statement tells every replica to drop its cached timelines (the notification is sent at the commit;
 * flags are rare, so the commit-time lock NOTIFY takes costs nothing here).
 */
export async function flagMessages(db: Queryable, messageIds: number[]): Promise<number[]> {
  const rows = await db.query<{ messageIds: (number | string)[] }>(
    `WITH flagged AS (
       UPDATE messages SET flagged = true WHERE message_id = ANY($1::bigint[]) RETURNING message_id
     )
     SELECT coalesce(array_agg(message_id), '{}') AS "messageIds", pg_notify($2, $3) FROM flagged`,
    [messageIds, INVALIDATION_CHANNEL, EVERYTHING_CHANGED],
  );
  return rows[0]!.messageIds.map(Number); // pg gives an int8[]'s items as strings
}

export interface ModerationRow {
  messageId: number;
  username: string;
  text: string;
  flagged: boolean;
}

/** All messages, flagged or not, in id order from `afterId`: the moderator's listing, a page at a time. */
export function listMessagesForModeration(
  db: Queryable,
  afterId: number,
  limit: number,
): Promise<ModerationRow[]> {
  return db.query<ModerationRow>(
    `SELECT m.message_id AS "messageId", u.username, m.text, m.flagged
     FROM messages m JOIN users u ON u.user_id = m.author_id
     WHERE m.message_id > $1 ORDER BY m.message_id LIMIT $2`,
    [afterId, limit],
  );
}

/** For each (author, text), how many messages the author has with exactly that text, flagged ones too. */
export async function countMessagesWithText(
  db: Queryable,
  wanted: { authorId: number; text: string }[],
): Promise<number[]> {
  const rows = await db.query<{ count: number }>(
    `SELECT (SELECT count(*) FROM messages m WHERE m.author_id = w.author_id AND m.text = w.text)::int AS count
     FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS w(author_id, text, position)
     ORDER BY w.position`,
    [wanted.map((w) => w.authorId), wanted.map((w) => w.text)],
  );
  return rows.map((row) => row.count);
}
