// Hashes from old MiniTwit databases (Werkzeug before 0.15): `sha1$salt$hex` is HMAC-SHA1 keyed by the salt.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { expect, test } from 'vitest';
import { needsRehash, verifyPassword } from '../src/passwords.js';

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
