// Reads an original MiniTwit SQLite database (tables `user`, `follower`, `message`; see the course's schema)
// and sorts every row into what our schema can hold and what it cannot, with the reason. SQLite's loose
// typing shows here: `string` columns have numeric affinity (a username "007" may come back as the number 7,
// so text is read with CAST), any column may be null, and nothing is unique but the ids.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LIMITS } from '../../src/http/input-rules.js';
import { werkzeugCostProblem } from '../../src/passwords.js';
import { nameSkeletons, scriptProblem, usernameRuleBroken, type UsernameRule } from '../../src/usernames.js';

interface LegacyUser {
  userId: number;
  /** In composed form (NFC), as sign-up stores names. */
  username: string;
  skeletons: { folded: string; asWritten: string };
  email: string;
  pwHash: string;
}

interface LegacyMessage {
  messageId: number;
  authorId: number;
  text: string;
  /** Seconds since the epoch. */
  pubDate: number;
  flagged: boolean;
}

interface LegacyFollow {
  whoId: number;
  whomId: number;
}

/** Rows left out, by reason (as the report prints them). */
export type Skipped = Map<string, number>;

export interface LegacyData {
  users: LegacyUser[];
  messages: LegacyMessage[];
  follows: LegacyFollow[];
  skipped: Skipped;
  /** Rows kept with a value changed so our schema can hold them, by what was changed. */
  adjusted: Skipped;
}

export class LegacyFileError extends Error {
  override name = 'LegacyFileError';
}

/** Why a user whose name breaks a sign-up rule (src/usernames.ts) is skipped, by rule. */
const RULE_REASONS: Record<UsernameRule, string> = {
  dots: 'users named "." or ".." (a folder in an address)',
  reserved: 'users whose username is reserved (a MiniTwit page has it: /logout, /public, ...)',
  'edge space': 'users whose username begins or ends with a space',
  invisible: 'users whose username holds invisible, control or text-direction characters',
  'overlay mark': 'users whose username holds a mark drawn through a letter',
};
const WITH_THEIR_ROWS = '(and their messages and follows)';

/**
 * Why sign-up would refuse `username` (NFC) next to the users kept so far (`names`, and their skeletons
 * in `lookalikes`), as a reason to count; or, when it would take it, its skeletons. In sign-up's order.
 */
function signUpVerdict(
  username: string,
  names: Set<string>,
  lookalikes: Set<string>,
): { refused: string } | { skeletons: LegacyUser['skeletons'] } {
  const rule = usernameRuleBroken(username)?.rule;
  if (rule) return { refused: RULE_REASONS[rule] };
  if (names.has(username)) return { refused: 'users whose username an earlier user already has' };
  const skeletons = nameSkeletons(username);
  if (lookalikes.has(skeletons.folded) || lookalikes.has(skeletons.asWritten))
    return { refused: "users whose username looks like an earlier user's" };
  if (scriptProblem(username)) return { refused: 'users whose username mixes scripts that look alike' };
  return { skeletons };
}

/** Length as PostgreSQL counts it (code points), not UTF-16 units. */
const characters = (text: string) => [...text].length;

/** SQLite's result code for a file it cannot open. */
const SQLITE_CANTOPEN = 14;

const count = (tally: Skipped, reason: string) => tally.set(reason, (tally.get(reason) ?? 0) + 1);

/** Opens `file` read-only and checks it is an original MiniTwit database. */
export function openLegacy(file: string): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => row.name);
    const missing = ['user', 'follower', 'message'].filter((t) => !tables.includes(t));
    if (missing.length) {
      db.close();
      throw new LegacyFileError(
        `${file} is not an original MiniTwit database: no table ${missing.join(', ')}`,
      );
    }
    return db;
  } catch (error) {
    if (error instanceof LegacyFileError) throw error;
    throw new LegacyFileError(
      (error as { errcode?: number }).errcode === SQLITE_CANTOPEN
        ? `Cannot open ${file}: no such file, or not readable`
        : `${file}: ${(error as Error).message}`,
    );
  }
}

/** How many rows each table holds (for the progress bar). */
export function legacyCounts(db: DatabaseSync): { users: number; messages: number; follows: number } {
  const n = (table: string) => Number(db.prepare(`SELECT count(*) AS n FROM "${table}"`).get()!.n);
  return { users: n('user'), messages: n('message'), follows: n('follower') };
}

/** A statement's rows one at a time, integers as bigints (an id beyond 2^53 is refused, not rounded). */
const rows = (statement: StatementSync) => {
  statement.setReadBigInts(true);
  return statement.iterate() as Iterable<Record<string, unknown>>;
};

/** A numeric id, or undefined for null, text or a fraction. */
function id(value: unknown): number | undefined {
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Reads every row, in id order, sorting out what cannot be imported. `progress` is called per row. */
export function readLegacy(db: DatabaseSync, progress: () => void = () => {}): LegacyData {
  const skipped: Skipped = new Map();
  const adjusted: Skipped = new Map();
  const users: LegacyUser[] = [];
  const names = new Set<string>();
  // Each kept user's skeletons (src/usernames.ts): a later name that looks like a kept one is skipped.
  const lookalikes = new Set<string>();
  const userRows = rows(
    db.prepare(
      `SELECT user_id, CAST(username AS TEXT) AS username, CAST(email AS TEXT) AS email,
              CAST(pw_hash AS TEXT) AS pw_hash FROM "user" ORDER BY user_id`,
    ),
  );
  for (const row of userRows) {
    progress();
    const userId = id(row.user_id);
    const rawName = row.username as string | null;
    // Sign-up's rules (signUpVerdict): a name that breaks one is skipped, never changed into another.
    const username = rawName?.normalize('NFC');
    const email = row.email as string | null;
    const pwHash = (row.pw_hash as string | null) ?? '';
    const verdict =
      username && characters(username) <= LIMITS.username
        ? signUpVerdict(username, names, lookalikes)
        : undefined;
    if (userId === undefined) count(skipped, 'users without a numeric id');
    else if ([rawName, email, row.pw_hash].some((v) => typeof v === 'string' && v.includes('\u0000')))
      count(skipped, 'users with a NUL character in a field (PostgreSQL text cannot hold it)');
    else if (!username || !verdict)
      count(
        skipped,
        `users with an empty username or one over ${LIMITS.username} characters ${WITH_THEIR_ROWS}`,
      );
    else if ('refused' in verdict) count(skipped, `${verdict.refused} ${WITH_THEIR_ROWS}`);
    else if (!email?.includes('@') || characters(email) > LIMITS.email)
      count(skipped, `users without a valid e-mail address ${WITH_THEIR_ROWS}`);
    else {
      const { skeletons } = verdict;
      names.add(username);
      lookalikes.add(skeletons.folded).add(skeletons.asWritten);
      const tooCostly = werkzeugCostProblem(pwHash);
      users.push({ userId, username, email, pwHash: tooCostly ? '' : pwHash, skeletons });
      if (tooCostly)
        count(
          skipped,
          `password hashes over the cost ceiling (${tooCostly}): their users were imported without one, and cannot sign in until given a new password`,
        );
      else if (!pwHash) count(adjusted, 'users without a password hash (imported; they cannot sign in)');
      if (username !== rawName)
        count(
          adjusted,
          'users whose username was stored decomposed (imported composed, NFC, as sign-up stores it; found by either form)',
        );
    }
  }
  const userIds = new Set(users.map((u) => u.userId));

  const follows: LegacyFollow[] = [];
  const pairs = new Set<string>();
  for (const row of rows(db.prepare('SELECT who_id, whom_id FROM follower'))) {
    progress();
    const whoId = id(row.who_id);
    const whomId = id(row.whom_id);
    const key = `${whoId}:${whomId}`;
    if (whoId === undefined || whomId === undefined || !userIds.has(whoId) || !userIds.has(whomId))
      count(skipped, 'follows of or by a user who is missing or was not imported');
    else if (pairs.has(key)) count(skipped, 'duplicate follows (the same pair again)');
    else {
      pairs.add(key);
      follows.push({ whoId, whomId });
    }
  }

  const messages: LegacyMessage[] = [];
  const messageRows = rows(
    db.prepare(
      `SELECT message_id, author_id, CAST(text AS TEXT) AS text, pub_date, flagged FROM message ORDER BY message_id`,
    ),
  );
  for (const row of messageRows) {
    progress();
    const messageId = id(row.message_id);
    const authorId = id(row.author_id);
    const text = row.text as string | null;
    if (messageId === undefined) count(skipped, 'messages without a numeric id');
    else if (authorId === undefined || !userIds.has(authorId))
      count(skipped, 'messages whose author is missing or was not imported');
    else if (!text) count(skipped, 'empty messages (ours need text)');
    else if (text.includes('\u0000'))
      count(skipped, 'messages with a NUL character (PostgreSQL text cannot hold it)');
    else if (characters(text) > LIMITS.message) count(skipped, `messages over ${LIMITS.message} characters`);
    else {
      let pubDate = pubDateOf(row.pub_date);
      if (pubDate === undefined) {
        pubDate = 0;
        count(adjusted, 'messages without a valid pub_date (imported, dated 1970-01-01)');
      }
      messages.push({ messageId, authorId, text, pubDate, flagged: Number(row.flagged ?? 0) !== 0 });
    }
  }
  return { users, messages, follows, skipped, adjusted };
}

/** pub_date: seconds since the epoch (an integer, or a number stored as text); undefined when unusable. */
function pubDateOf(value: unknown): number | undefined {
  const n =
    typeof value === 'bigint'
      ? Number(value)
      : typeof value === 'string'
        ? Number(value.trim() || NaN)
        : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n < 253402300800 ? n : undefined;
}
