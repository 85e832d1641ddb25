// The seeded rows, as PostgreSQL's COPY text format, in chunks: users, then messages, then follows.
import { SeededRandom } from '../scenario/random.js';
import { tweetText } from '../scenario/texts.js';
import { followCounts, permutation, ZipfSampler } from './skew.js';

export interface SeedPlan {
  users: number;
  messages: number;
  follows: number;
  seed: string;
  /** Usernames are `<prefix><n>`, n from 1. */
  prefix: string;
  /** Messages' dates spread evenly over this many days before now. */
  days: number;
  flaggedShare: number;
  /** The most users one user follows. */
  maxFollows: number;
  /** The one password hash every seeded user gets. */
  pwHash: string;
  now: Date;
}

export interface Chunk {
  text: string;
  rows: number;
}

const CHUNK_ROWS = 20_000;
const DAY_MS = 86_400_000;

/** A field in COPY's text format: backslash, tab, newline and carriage return escaped. */
const field = (value: string) =>
  /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : value;

function* chunked(count: number, line: (index: number) => string): Generator<Chunk> {
  for (let start = 0; start < count; start += CHUNK_ROWS) {
    const end = Math.min(count, start + CHUNK_ROWS);
    const lines: string[] = [];
    for (let index = start; index < end; index++) lines.push(line(index));
    yield { text: lines.join(''), rows: end - start };
  }
}

export const usernameOf = (plan: SeedPlan, index: number) => `${plan.prefix}${index + 1}`;

export const USER_COLUMNS = ['username', 'email', 'pw_hash', 'created_at'];

export function userRows(plan: SeedPlan): Generator<Chunk> {
  const random = new SeededRandom(`${plan.seed}/users`);
  const start = plan.now.getTime() - plan.days * DAY_MS;
  const hash = field(plan.pwHash);
  return chunked(plan.users, (index) => {
    const name = usernameOf(plan, index);
    const created = new Date(start - random.int(30 * DAY_MS)).toISOString();
    return `${field(name)}\t${field(name)}@example.com\t${hash}\t${created}\n`;
  });
}

export const MESSAGE_COLUMNS = ['author_id', 'text', 'pub_date', 'flagged'];

/** `userIds[i]` is the id of user i (usernameOf(plan, i)). Dates rise with the row, as ids do. */
export function messageRows(plan: SeedPlan, userIds: ArrayLike<number>): Generator<Chunk> {
  const random = new SeededRandom(`${plan.seed}/messages`);
  const authors = new ZipfSampler(plan.users, 1.0);
  const authorOf = permutation(plan.users, random);
  const start = plan.now.getTime() - plan.days * DAY_MS;
  const step = (plan.days * DAY_MS) / Math.max(1, plan.messages);
  return chunked(plan.messages, (index) => {
    const author = userIds[authorOf(authors.sample(random))]!;
    const date = new Date(start + (index + random.next()) * step).toISOString();
    const flagged = random.chance(plan.flaggedShare) ? 't' : 'f';
    return `${author}\t${field(tweetText(random))}\t${date}\t${flagged}\n`;
  });
}

export const FOLLOW_COLUMNS = ['who_id', 'whom_id', 'followed_at'];

/** Who follows whom: the number each follows is Zipf-shaped, and whom they follow is drawn by popularity. */
export function* followRows(plan: SeedPlan, userIds: ArrayLike<number>): Generator<Chunk> {
  if (plan.users < 2) return;
  const random = new SeededRandom(`${plan.seed}/follows`);
  const counts = followCounts(plan.users, plan.follows, plan.maxFollows);
  const whoOf = permutation(plan.users, random);
  const popularity = new ZipfSampler(plan.users, 1.1);
  const whomOf = permutation(plan.users, random);
  const start = plan.now.getTime() - plan.days * DAY_MS;
  let lines: string[] = [];
  for (let rank = 0; rank < plan.users; rank++) {
    const who = whoOf(rank);
    const chosen = new Set<number>([who]);
    const wanted = counts[rank]! + 1;
    // Drawn by popularity; past a bound on attempts (a user following thousands exhausts the popular
    // ones), the rest uniformly.
    for (let attempt = 0; chosen.size < wanted && attempt < wanted * 20; attempt++) {
      chosen.add(whomOf(popularity.sample(random)));
    }
    while (chosen.size < wanted) chosen.add(random.int(plan.users));
    chosen.delete(who);
    for (const whom of chosen) {
      const date = new Date(start + random.next() * plan.days * DAY_MS).toISOString();
      lines.push(`${userIds[who]}\t${userIds[whom]}\t${date}\n`);
      if (lines.length === CHUNK_ROWS) {
        yield { text: lines.join(''), rows: lines.length };
        lines = [];
      }
    }
  }
  if (lines.length > 0) yield { text: lines.join(''), rows: lines.length };
}
