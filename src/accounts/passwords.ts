// Password hashing: scrypt (memory-hard, in node:crypto, run on libuv's thread pool so the event loop
// never waits for it). Also verifies the original MiniTwit's Werkzeug hashes so imported users can log in.
import { pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify<string | Buffer, Buffer, number, ScryptOptions, Buffer>(scrypt);
const pbkdf2Async = promisify(pbkdf2);

/** Werkzeug's default cost (N=2^15, r=8, p=1: 32 MiB); stored in each hash so it can be raised later. */
const CURRENT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };
const maxmem = (N: number, r: number) => 256 * N * r;

/** Our format: `scrypt$N$r$p$<salt base64>$<key base64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = CURRENT;
  const key = await scryptAsync(password, salt, keyLength, { N, r, p, maxmem: maxmem(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Checks a password against our hashes and Werkzeug's `pbkdf2:...` and `scrypt:...` hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  try {
    if (stored.startsWith('scrypt$')) return await verifyOurs(password, stored);
    if (stored.startsWith('pbkdf2:') || stored.startsWith('scrypt:'))
      return await verifyWerkzeug(password, stored);
  } catch {
    // A malformed stored hash matches no password.
  }
  return false;
}

/** True when a hash should be replaced by one of ours at the next successful login. */
export function needsRehash(stored: string): boolean {
  const [scheme, N, r, p] = stored.split('$');
  return !(
    scheme === 'scrypt' &&
    Number(N) === CURRENT.N &&
    Number(r) === CURRENT.r &&
    Number(p) === CURRENT.p
  );
}

async function verifyOurs(password: string, stored: string): Promise<boolean> {
  const [, N, r, p, salt, key] = stored.split('$');
  const expected = Buffer.from(key ?? '', 'base64');
  const cost = { N: Number(N), r: Number(r), p: Number(p) };
  const actual = await scryptAsync(password, Buffer.from(salt ?? '', 'base64'), expected.length, {
    ...cost,
    maxmem: maxmem(cost.N, cost.r),
  });
  return expected.length > 0 && timingSafeEqual(actual, expected);
}

/**
 * Werkzeug's `generate_password_hash` formats: `pbkdf2:sha256[:iterations]$salt$hex` (older MiniTwits
 * used `pbkdf2:sha256` with 150000 or 260000 iterations) and `scrypt[:N:r:p]$salt$hex`. The salt is used
 * as its text, not decoded.
 */
async function verifyWerkzeug(password: string, stored: string): Promise<boolean> {
  const [method = '', salt = '', hex = ''] = stored.split('$');
  const expected = Buffer.from(hex, 'hex');
  if (expected.length === 0) return false;
  const [kind, ...args] = method.split(':');
  let actual: Buffer;
  if (kind === 'pbkdf2') {
    const digest = args[0] ?? 'sha256';
    const iterations = Number(args[1] ?? 260000);
    actual = await pbkdf2Async(password, salt, iterations, expected.length, digest);
  } else {
    const [N = 2 ** 15, r = 8, p = 1] = args.map(Number);
    actual = await scryptAsync(password, Buffer.from(salt), expected.length, {
      N,
      r,
      p,
      maxmem: maxmem(N, r),
    });
  }
  return timingSafeEqual(actual, expected);
}
