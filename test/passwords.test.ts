import { pbkdf2Sync, scryptSync } from 'node:crypto';
import { expect, test } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../src/passwords.js';

test('when a password is hashed, then it is argon2id with a fresh salt, verifies, and nothing else does', async () => {
  const [a, b] = [await hashPassword('s3cret “pw”'), await hashPassword('s3cret “pw”')];
  expect(a).toMatch(/^\$argon2id\$v=19\$m=7168,p=1,t=5\$/);
  expect(a).not.toBe(b);
  expect(await verifyPassword('s3cret “pw”', a)).toBe(true);
  expect(await verifyPassword('s3cret "pw"', a)).toBe(false);
  expect(needsRehash(a)).toBe(false);
});

test("when a user comes from the original MiniTwit, then Werkzeug's pbkdf2 and scrypt hashes verify and need a rehash", async () => {
  const salt = 'Zq3xVbK1';
  const pbkdf2 = `pbkdf2:sha256:260000$${salt}$${pbkdf2Sync('default', salt, 260000, 32, 'sha256').toString('hex')}`;
  const scrypt = `scrypt:32768:8:1$${salt}$${scryptSync('default', salt, 64, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }).toString('hex')}`;
  for (const stored of [pbkdf2, scrypt]) {
    expect(await verifyPassword('default', stored)).toBe(true);
    expect(await verifyPassword('wrong', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  }
});

test('when a stored hash is malformed, then no password matches it', async () => {
  for (const stored of ['', 'plain', 'pbkdf2:sha256:1$salt$', '$argon2id$garbage', 'scrypt:x$y$zz']) {
    expect(await verifyPassword('', stored)).toBe(false);
  }
});
