// Hashes from old MiniTwit databases (Werkzeug before 0.15): `sha1$salt$hex` is HMAC-SHA1 keyed by the salt.
import { createHash, createHmac, pbkdf2Sync, scryptSync } from 'node:crypto';
import { expect, test } from 'vitest';
import { needsRehash, verifyPassword, werkzeugCostProblem } from '../src/passwords.js';

test("when a user's hash is Werkzeug's old salted sha1 (or md5, sha256), then the password verifies and needs a rehash", async () => {
  for (const digest of ['sha1', 'md5', 'sha256']) {
    const stored = `${digest}$NaCl$${createHmac(digest, 'NaCl').update('old “secret”').digest('hex')}`;
    expect(await verifyPassword('old “secret”', stored)).toBe(true);
    expect(await verifyPassword('old "secret"', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  }
  const unsalted = `sha1$$${createHash('sha1').update('pw').digest('hex')}`;
  expect(await verifyPassword('pw', unsalted)).toBe(true);
  expect(await verifyPassword('pw2', unsalted)).toBe(false);
});

test("when a hash is Werkzeug 0.9's pbkdf2:sha1:1000, then it verifies", async () => {
  const stored = `pbkdf2:sha1:1000$salty$${pbkdf2Sync('pw', 'salty', 1000, 20, 'sha1').toString('hex')}`;
  expect(await verifyPassword('pw', stored)).toBe(true);
  expect(await verifyPassword('px', stored)).toBe(false);
});

test('when a legacy hash is malformed, then nothing matches it', async () => {
  for (const stored of ['sha1$salt$', 'sha1$salt$zz', 'md4$salt$00', 'sha1$salt$00']) {
    expect(await verifyPassword('', stored)).toBe(false);
  }
});

// Issue 18, item 8: a stored hash names its own cost, so an imported one could make each sign-in take
// seconds of a core, or a GiB. Each hash below is right for its password: only its cost refuses it.
const pbkdf2Hash = (password: string, iterations: number) =>
  `pbkdf2:sha256:${iterations}$NaCl$${pbkdf2Sync(password, 'NaCl', iterations, 32, 'sha256').toString('hex')}`;
const scryptHash = (password: string, N: number, r: number, p: number) =>
  `scrypt:${N}:${r}:${p}$NaCl$${scryptSync(password, 'NaCl', 64, { N, r, p, maxmem: 256 * N * r * p }).toString('hex')}`;

// Two million PBKDF2 rounds (making the hash, checking it) take a second or more on a busy machine.
test(
  "when a Werkzeug hash is at Werkzeug's own default cost, then it verifies",
  { timeout: 60_000 },
  async () => {
    expect(await verifyPassword('pw', pbkdf2Hash('pw', 1_000_000))).toBe(true); // Werkzeug 3.1
    expect(await verifyPassword('pw', scryptHash('pw', 2 ** 15, 8, 1))).toBe(true); // Werkzeug 3.0
  },
);

test(
  'when a Werkzeug hash costs more than the ceiling, then it matches not even its own password',
  { timeout: 60_000 },
  async () => {
    for (const stored of [
      pbkdf2Hash('pw', 1_000_001),
      scryptHash('pw', 2 ** 16, 8, 1),
      scryptHash('pw', 2 ** 15, 16, 1),
      scryptHash('pw', 2 ** 15, 8, 2),
    ]) {
      expect(werkzeugCostProblem(stored), stored).toBeDefined();
      expect(await verifyPassword('pw', stored), stored).toBe(false);
    }
  },
);

test("when a Werkzeug hash's cost is the attack's or no number, then it is refused without being computed", async () => {
  for (const stored of [
    'pbkdf2:sha256:50000000$salt$00112233445566778899aabbccddeeff',
    'scrypt:1048576:8:1$salt$00112233445566778899aabbccddeeff',
    'pbkdf2:sha256:0$salt$00',
    'pbkdf2:sha256:many$salt$00',
    'scrypt:x:8:1$salt$00',
  ]) {
    expect(werkzeugCostProblem(stored), stored).toBeDefined();
    expect(await verifyPassword('pw', stored)).toBe(false);
  }
  expect(werkzeugCostProblem('sha1$NaCl$00')).toBeUndefined();
  expect(werkzeugCostProblem('$argon2id$v=19$m=7168,t=5,p=1$c2FsdA$aGFzaA')).toBeUndefined();
});
