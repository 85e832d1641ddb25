// The `?before=` cursor of the "Older messages" link: where the next page starts, as base64url of
// `<pub_date in epoch milliseconds>_<message_id>` (keyset paging: no OFFSET, stable while people post).
import type { Cursor, TimelineMessage } from '../data/messages.js';
import { HttpError } from '../http/errors.js';

const CURSOR = /^(\d{1,15})_(\d{1,15})$/;

export function encodeCursor(message: Pick<TimelineMessage, 'pubDate' | 'messageId'>): string {
  return Buffer.from(`${message.pubDate.getTime()}_${message.messageId}`).toString('base64url');
}

/** The cursor a link carried; a 400 for anything we did not make. */
export function decodeCursor(before: string | undefined): Cursor | undefined {
  if (before === undefined) return undefined;
  const match = /^[\w-]{1,64}$/.test(before)
    ? CURSOR.exec(Buffer.from(before, 'base64url').toString())
    : null;
  const pubDate = new Date(Number(match?.[1]));
  if (!match || Number.isNaN(pubDate.getTime()))
    throw new HttpError(400, 'The link to older messages is malformed: go back to the first page.');
  return { pubDate, messageId: Number(match[2]) };
}
