// Password hashing: argon2id (memory-hard), computed on libuv's thread pool so the event loop never waits for
// it. OWASP lists five equally strong settings (19 MiB x 2 passes ... 7 MiB x 5 passes); measured here the
// 7 MiB one is the fastest (~26 ms against ~35 ms: it stays in the CPU's caches), which matters when the
// simulator's bursts of registrations share two cores under its 0.3 s timeout. scrypt of equal strength
// took ~100 ms. Also verifies the original MiniTwit's
// Werkzeug hashes so that users imported from it can sign in (and are then rehashed).
import {
  createHash,
  createHmac,
  pbkdf2,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import pLimit from 'p-limit';

const scryptAsync = promisify<string | Buffer, Buffer, number, ScryptOptions, Buffer>(scrypt);
const pbkdf2Async = promisify(pbkdf2);

/** Stored in each hash (PHC string), so raising them later rehashes users at their next sign-in. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 7 * 1024, timeCost: 5, parallelism: 1 } as const;

/**
 * How many hashes run at once: one per core. Each takes a core for ~26 ms; left unbounded, a burst of
 * registrations or sign-ins fills libuv's four threads, more than the cores, and the requests that need
 * no hash wait behind them. One fewer than the cores was tried and queued a burst of eight registrations
 * past the simulator's 0.3 s on two cores (docs/performance.md). The rest queue here, in order
 * (src/config.ts: PASSWORD_HASH_CONCURRENCY).
 */
let hashing = pLimit(defaultHashConcurrency());

function defaultHashConcurrency(): number {
  return availableParallelism();
}

/** 0: the default (as many as the cores). */
export function setHashConcurrency(concurrency: number): void {
  hashing = pLimit(concurrency > 0 ? concurrency : defaultHashConcurrency());
}

/**
 * Runs one hash on each of libuv's threads at once, so that none of them meets its first hash (its first
 * 7 MiB, argon2's code paged in) in a request: the simulator's first burst of registrations is
 * the one that arrives before anything is warm.
 */
export async function warmUpHashing(threads = Number(process.env.UV_THREADPOOL_SIZE) || 4): Promise<void> {
  await Promise.all([
    ...Array.from({ length: threads }, (_, i) => argon2.hash(`warm-up-${i}`, ARGON2_OPTIONS)),
    standInHash(),
  ]);
}

/**
 * A hash of a random password, made once per process, with the current settings: what a sign-in to a
 * name that does not exist is checked against, so that it costs as much time as a real one.
 */
let standIn: Promise<string> | undefined;
function standInHash(): Promise<string> {
  standIn ??= argon2.hash(randomBytes(32).toString('hex'), ARGON2_OPTIONS);
  return standIn;
}

/**
 * Spends what checking `password` against a user's hash would (an argon2id verification), for a name that
 * has no user: without it a failed sign-in answered faster for an unknown name (6 ms) than for a known
 * one (22 ms), which told anyone which names exist. Matches nothing.
 */
export async function verifyNoUser(password: string): Promise<false> {
  const hash = await standInHash();
  await hashing(() => argon2.verify(hash, password));
  return false;
}

export function hashPassword(password: string): Promise<string> {
  return hashing(() => argon2.hash(password, ARGON2_OPTIONS));
}

/** Checks a password against our argon2id hashes and Werkzeug's `pbkdf2:...` and `scrypt:...` hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  try {
    if (stored.startsWith('$argon2')) return await hashing(() => argon2.verify(stored, password));
    if (stored.startsWith('pbkdf2:') || stored.startsWith('scrypt:'))
      return await hashing(() => verifyWerkzeug(password, stored));
    if (LEGACY_WERKZEUG.test(stored)) return verifyLegacyWerkzeug(password, stored);
  } catch {
    // A malformed stored hash matches no password.
  }
  return false;
}

/** True when a hash should be replaced by a current one at the next successful sign-in. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2id$') || argon2.needsRehash(stored, ARGON2_OPTIONS);
}

/** Werkzeug before 0.15 also wrote `sha1$salt$hex` (and md5, sha256, ...): HMAC(salt, password), or the plain digest without a salt. */
const LEGACY_WERKZEUG = /^(md5|sha1|sha224|sha256|sha384|sha512)\$([^$]*)\$([0-9a-f]+)$/;

function verifyLegacyWerkzeug(password: string, stored: string): boolean {
  const [, digest = '', salt = '', hex = ''] = LEGACY_WERKZEUG.exec(stored) ?? [];
  const actual = salt
    ? createHmac(digest, Buffer.from(salt)).update(password).digest()
    : createHash(digest).update(password).digest();
  const expected = Buffer.from(hex, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The most a Werkzeug hash may cost to check, since a stored hash names its own cost: one imported
 * `pbkdf2:sha256:50000000` hash took 11 s of a core per sign-in and held up everyone else's, and a
 * `scrypt:1048576:8:1` one would take 1 GiB per check. The ceilings are Werkzeug's own current defaults
 * (pbkdf2:sha256 with 1,000,000 iterations since 3.1; scrypt N=2^15, r=8, p=1 since 3.0: 32 MiB), so
 * every hash Werkzeug writes by default, older smaller ones included, still verifies; scrypt's time
 * grows with N·r·p and its memory with N·r, so the one product bounds both.
 */
const WERKZEUG_CEILING = { pbkdf2Iterations: 1_000_000, scryptNrp: 2 ** 15 * 8 } as const;

type WerkzeugHash = { salt: string; expected: Buffer } & (
  { kind: 'pbkdf2'; digest: string; iterations: number } | { kind: 'scrypt'; N: number; r: number; p: number }
);

/**
 * Werkzeug's `generate_password_hash` formats: `pbkdf2:sha256[:iterations]$salt$hex` (older MiniTwits
 * used `pbkdf2:sha256` with 150000 or 260000 iterations) and `scrypt[:N:r:p]$salt$hex`. The salt is used
 * as its text, not decoded. Undefined when `stored` is neither.
 */
function parseWerkzeug(stored: string): WerkzeugHash | undefined {
  const [method = '', salt = '', hex = ''] = stored.split('$');
  const expected = Buffer.from(hex, 'hex');
  const [kind, ...args] = method.split(':');
  if (kind === 'pbkdf2')
    return { kind, salt, expected, digest: args[0] ?? 'sha256', iterations: Number(args[1] ?? 260000) };
  if (kind === 'scrypt') {
    const [N = 2 ** 15, r = 8, p = 1] = args.map(Number);
    return { kind, salt, expected, N, r, p };
  }
  return undefined;
}

/**
 * Why a Werkzeug hash will not be checked (its cost is over WERKZEUG_CEILING, or not a number); undefined
 * for one within it, and for any other kind of hash. The importer skips such hashes.
 */
export function werkzeugCostProblem(stored: string): string | undefined {
  const hash = parseWerkzeug(stored);
  if (
    hash?.kind === 'pbkdf2' &&
    !(hash.iterations >= 1 && hash.iterations <= WERKZEUG_CEILING.pbkdf2Iterations)
  )
    return `PBKDF2 with more than ${WERKZEUG_CEILING.pbkdf2Iterations.toLocaleString('en')} iterations`;
  if (hash?.kind === 'scrypt' && !(hash.N * hash.r * hash.p <= WERKZEUG_CEILING.scryptNrp && hash.p >= 1))
    return `scrypt with N·r·p over ${WERKZEUG_CEILING.scryptNrp.toLocaleString('en')}`;
  return undefined;
}

/** Checks a Werkzeug hash; one over the cost ceiling matches no password: its user needs a new one. */
async function verifyWerkzeug(password: string, stored: string): Promise<boolean> {
  const hash = parseWerkzeug(stored);
  if (!hash || hash.expected.length === 0 || werkzeugCostProblem(stored)) return false;
  const { salt, expected } = hash;
  const actual =
    hash.kind === 'pbkdf2'
      ? await pbkdf2Async(password, salt, hash.iterations, expected.length, hash.digest)
      : await scryptAsync(password, Buffer.from(salt), expected.length, {
          N: hash.N,
          r: hash.r,
          p: hash.p,
          maxmem: 256 * hash.N * hash.r,
        });
  return timingSafeEqual(actual, expected);
}
