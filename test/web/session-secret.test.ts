// Where the secret that signs the session cookies comes from, and when the app must refuse to start.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/settings.js';
import { sessionSecret } from '../../src/web/sessions.js';

const DATABASE_URL = 'postgres://minitwit@db/minitwit';
const dir = mkdtempSync(join(tmpdir(), 'minitwit-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SESSION_SECRET', () => {
  test.each(['web', 'all'])(
    'when DATABASE_URL is set without SESSION_SECRET for role %s, then loadConfig refuses, naming SESSION_SECRET',
    (role) => {
      const load = () => loadConfig({ DATABASE_URL, MINITWIT_ROLE: role });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/SESSION_SECRET/);
    },
  );

  test('when only the API is served, then no secret is needed', () => {
    expect(loadConfig({ DATABASE_URL, MINITWIT_ROLE: 'api' }).sessionSecret).toBeUndefined();
  });

  test('when it is set, then it is used', () => {
    const secret = 'x'.repeat(40);
    const config = loadConfig({ DATABASE_URL, SESSION_SECRET: secret });
    expect(sessionSecret(config)).toBe(secret);
  });

  test('when embedded without one, then a random secret is made once, kept with mode 0600 and reused', () => {
    const config = loadConfig({ DATA_DIR: join(dir, 'data') });
    const first = sessionSecret(config);
    const file = join(dir, 'data', 'session-secret');
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(sessionSecret(config)).toBe(first);
    expect(sessionSecret(loadConfig({ DATA_DIR: join(dir, 'other') }))).not.toBe(first);
  });
});
