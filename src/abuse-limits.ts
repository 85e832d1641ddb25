// How often one client or one account may try to sign in or sign up: each try costs an argon2 hash (CPU
// and memory), and unlimited tries let anyone guess passwords or fill the database with accounts. The
// counters live in the database (rate-limiter-flexible's PostgreSQL store, table rate_limits), so every
// replica counts together and a restart forgets nothing; keys are hashes, so the table holds no address
// or e-mail in clear.
//   sign-in: tries per account (any client) and per client (any account), in a window; past the limit,
//            further tries are refused (429) until the window ends, without checking the password. A try
//            is counted before its password is checked, in one atomic statement per counter (an upsert
//            that returns the new count): counted after the check, every try that arrived before the
//            first failure was stored got through (300 at once: 221 checks in the review, 24 to 39 in
//            test/abuse-limits.test.ts, against a limit of 10).
//            A success clears the account's count and gives the client its try back, so only failures
//            add up.
//   sign-up: accounts created per client and per e-mail address, in a window.
// The simulator (its valid credentials) is not limited: it is the API's one trusted client.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from './config.js';
import type { Queryable } from './db/index.js';

/** A request was refused because too many came before it (a 429); it may be retried after `retryAfterSeconds`. */
class TooManyAttemptsError extends Error {
  override name = 'TooManyAttemptsError';
  readonly statusCode = 429;
  readonly headers: Record<string, string>;
  constructor(
    reason: string,
    readonly retryAfterSeconds: number,
  ) {
    const minutes = Math.ceil(retryAfterSeconds / 60);
    super(`${reason}: try again in ${minutes > 1 ? `${minutes} minutes` : 'a minute'}.`);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

/** Who is trying: the client's address as the trusted proxies report it, and the account or e-mail. */
export interface Attempt {
  limits: AbuseLimits;
  client: string;
}

export interface AbuseLimits {
  /**
   * Counts a sign-in try, before its password is checked; throws TooManyAttemptsError when it is one
   * more than the account's or the client's limit allows.
   */
  signInAttempt(client: string, account: string): Promise<void>;
  /** The try was right: the account's count starts again and the client's try is given back. */
  signInSucceeded(client: string, account: string): Promise<void>;
  /** Counts an account about to be created; throws TooManyAttemptsError when one count is over. */
  signUp(client: string, email: string): Promise<void>;
}

/**
 * The part of an address that one client controls: an IPv6 client is usually given a whole /64, so it is
 * counted as one; an IPv4 address (also IPv4-mapped IPv6) is one client.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const hashed = (kind: string, value: string) =>
  createHash('sha256').update(`${kind}\0${value}`).digest('hex');

/** rate-limiter-flexible's PostgreSQL store over our own database interface (pg's pool or PGlite). */
function storeClient(db: Queryable) {
  return {
    query: async ({ text, values }: { text: string; values?: unknown[] }) => {
      const rows = await db.query<Record<string, unknown>>(text, values);
      return { rows, rowCount: rows.length };
    },
  };
}

interface Counter {
  name: string;
  limiter: RateLimiterPostgres;
  points: number;
}

type LimitSettings = Pick<
  Config,
  | 'signInPerAccount'
  | 'signInPerClient'
  | 'signInWindowSeconds'
  | 'signUpPerClient'
  | 'signUpPerEmail'
  | 'signUpWindowSeconds'
>;

export function createAbuseLimits(db: Queryable, limits: LimitSettings): AbuseLimits {
  const client = storeClient(db);
  let first = true;
  const counter = (name: string, points: number, duration: number): Counter | undefined => {
    if (points === 0) return undefined;
    const limiter = new RateLimiterPostgres({
      storeClient: client,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: name,
      points,
      duration,
      // One of them deletes the expired rows of the shared table (every 5 min, timer unref'd).
      clearExpiredByTimeout: first,
    });
    first = false;
    return { name, limiter, points };
  };
  const signInByAccount = counter('signin-account', limits.signInPerAccount, limits.signInWindowSeconds);
  const signInByClient = counter('signin-client', limits.signInPerClient, limits.signInWindowSeconds);
  const signUpByClient = counter('signup-client', limits.signUpPerClient, limits.signUpWindowSeconds);
  const signUpByEmail = counter('signup-email', limits.signUpPerEmail, limits.signUpWindowSeconds);

  const refused = (message: string, msBeforeNext: number) =>
    new TooManyAttemptsError(message, Math.max(1, Math.ceil(msBeforeNext / 1000)));

  /** Counts one try (one atomic upsert); throws TooManyAttemptsError, saying `message`, past the limit. */
  async function consume(counter: Counter | undefined, key: string, message: string): Promise<void> {
    if (!counter) return;
    try {
      await counter.limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw refused(message, error.msBeforeNext);
    }
  }

  const accountKey = (account: string) => hashed('account', account.normalize('NFC'));
  const clientKeyOf = (ip: string) => hashed('client', clientKey(ip));

  return {
    async signInAttempt(ip, account) {
      // Both counted, whichever refuses: a refused try is still a try.
      const [byAccount, byClient] = await Promise.allSettled([
        consume(signInByAccount, accountKey(account), 'Too many failed sign-ins for this account'),
        consume(signInByClient, clientKeyOf(ip), 'Too many failed sign-ins from your address'),
      ]);
      for (const counted of [byAccount, byClient]) if (counted.status === 'rejected') throw counted.reason;
    },
    async signInSucceeded(ip, account) {
      await Promise.all([
        signInByAccount?.limiter.delete(accountKey(account)),
        signInByClient?.limiter.reward(clientKeyOf(ip), 1),
      ]);
    },
    async signUp(ip, email) {
      await consume(signUpByClient, clientKeyOf(ip), 'Too many new accounts from your address');
      await consume(
        signUpByEmail,
        hashed('email', email.trim().toLowerCase()),
        'Too many new accounts with this e-mail address',
      );
    },
  };
}
