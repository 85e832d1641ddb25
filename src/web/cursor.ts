// The `?before=` cursor of the "Older messages" link: where the next page starts, as base64url of
// `<pub_date in epoch microseconds>_<message_id>` (keyset paging: no OFFSET, stable while people post).
// Microseconds, not milliseconds: PostgreSQL keeps them, and a cursor rounded to the millisecond would
// skip the messages posted within the same millisecond as the last one shown.
import type { Cursor, TimelineMessage } from '../data/messages.js';
import { HttpError } from '../http/errors.js';

const CURSOR = /^(\d{1,16})_(\d{1,15})$/;
const POSITION = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})(\d{3})Z$/;

export function encodeCursor(message: Pick<TimelineMessage, 'position' | 'messageId'>): string {
  const [, millis, micros] = POSITION.exec(message.position) ?? [];
  const epochMicros = BigInt(Date.parse(`${millis}Z`)) * 1000n + BigInt(micros ?? 0);
  return Buffer.from(`${epochMicros}_${message.messageId}`).toString('base64url');
}

/** The cursor a link carried; a 400 for anything we did not make. */
export function decodeCursor(before: string | undefined): Cursor | undefined {
  if (before === undefined) return undefined;
  const match = /^[\w-]{1,64}$/.test(before)
    ? CURSOR.exec(Buffer.from(before, 'base64url').toString())
    : null;
  if (!match) throw new HttpError(400, 'The link to older messages is malformed: go back to the first page.');
  // 16 digits of microseconds reach the year 2286: always a valid date for JS and PostgreSQL.
  const epochMicros = BigInt(match[1]!);
  const millis = new Date(Number(epochMicros / 1000n)).toISOString().slice(0, -1);
  const pubDate = `${millis}${String(epochMicros % 1000n).padStart(3, '0')}Z`;
  return { pubDate, messageId: Number(match[2]) };
}
