// The course's simulator credentials are published: with them anyone posts and follows as any user
// (issue 18, finding 2). With a server database (a deployment) the API serves none by default: both
// must be set, not empty, or the process does not start. Whenever the course's are in use (set
// explicitly for its simulator, or the embedded database's default), one warning line at start says so.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { loadServerConfig } from '../src/config.js';
import { COURSE_SIMULATOR_CREDENTIALS } from '../src/api/simulator/credentials.js';
import { ConfigError } from '../src/settings.js';
import { basicAuthorization } from '../scripts/replay/simulator-requests.js';
import { spawnServer } from './helpers/server-process.js';

vi.setConfig({ testTimeout: 90_000 });
const dir = mkdtempSync(join(tmpdir(), 'minitwit-simulator-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Never reached: the configuration is refused before any connection.
const DATABASE_URL = 'postgres://minitwit@127.0.0.1:1/minitwit';
const SESSION_SECRET = 'a-session-secret-for-this-test-0123456789';
const COURSE = {
  SIMULATOR_USERNAME: COURSE_SIMULATOR_CREDENTIALS.username,
  SIMULATOR_PASSWORD: COURSE_SIMULATOR_CREDENTIALS.password,
};
const WARNING = /The simulator API accepts the course's published credentials/;

describe('with a server database (DATABASE_URL)', () => {
  test.each([
    ['neither is set', {}, 'SIMULATOR_USERNAME'],
    ['the password is not set', { SIMULATOR_USERNAME: 'simulator' }, 'SIMULATOR_PASSWORD'],
    [
      'the password is empty',
      { SIMULATOR_USERNAME: 'simulator', SIMULATOR_PASSWORD: '' },
      'SIMULATOR_PASSWORD',
    ],
    ['the username is empty', { SIMULATOR_USERNAME: '', SIMULATOR_PASSWORD: 'own' }, 'SIMULATOR_USERNAME'],
  ])('when %s, then the server does not start (exit 2) and names the variable', async (_, env, named) => {
    const server = spawnServer({ DATABASE_URL, SESSION_SECRET, PORT: '0', API_PORT: '0', ...env });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(
      new RegExp(
        `^minitwit: ${named} must be set, and not empty, when DATABASE_URL is set and the API is served`,
      ),
    );
    expect(server.output()).not.toContain('super_safe!');
  });

  test('when the course’s values are set explicitly (its simulator needs them), then they are accepted', () => {
    const config = loadServerConfig({ DATABASE_URL, SESSION_SECRET, ...COURSE });
    expect(config).toMatchObject({ simulatorUsername: 'simulator', simulatorPassword: 'super_safe!' });
  });

  test('when only the web pages are served, then no simulator credentials are needed', () => {
    expect(() => loadServerConfig({ DATABASE_URL, SESSION_SECRET, MINITWIT_ROLE: 'web' })).not.toThrow();
  });

  test('when the password comes from an empty secret file, then start is refused, naming the file', () => {
    const empty = join(dir, 'empty-secret');
    writeFileSync(empty, '\n');
    const load = () =>
      loadServerConfig({
        DATABASE_URL,
        SESSION_SECRET,
        SIMULATOR_USERNAME: 'simulator',
        SIMULATOR_PASSWORD_FILE: empty,
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`SIMULATOR_PASSWORD_FILE=${empty} is empty`);
  });

  test('when the password comes from a secret file, then it is used', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'own-password\n');
    const config = loadServerConfig({
      DATABASE_URL,
      SESSION_SECRET,
      SIMULATOR_USERNAME: 'own',
      SIMULATOR_PASSWORD_FILE: file,
    });
    expect(config.simulatorPassword).toBe('own-password');
  });
});

/** The real server on the embedded database, until its API answers; what it printed, and the API's address. */
async function startEmbedded(name: string, env: Record<string, string>) {
  const server = spawnServer({
    DATA_DIR: join(dir, name),
    PORT: '0',
    API_PORT: '0',
    METRICS_PORT: '0',
    ...env,
  });
  expect(await server.printed(/MiniTwit api listening/)).toBe(true);
  return { server, api: `http://127.0.0.1:${server.ports().api}` };
}

const listStatus = (api: string, username: string, password: string) =>
  fetch(`${api}/msgs?no=1`, { headers: { authorization: basicAuthorization(username, password) } }).then(
    (reply) => reply.status,
  );

describe('on the embedded database', () => {
  test('when nothing is set, then the course’s credentials work (a laptop, a replay) and one warning line says so', async () => {
    const { server, api } = await startEmbedded('default', {});
    try {
      expect(await listStatus(api, 'simulator', 'super_safe!')).toBe(200);
      const warnings = server
        .output()
        .split('\n')
        .filter((line) => WARNING.test(line));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ 'log.level': 'warn' });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('when credentials of one’s own are set, then no warning, and the course’s are refused', async () => {
    const { server, api } = await startEmbedded('own', {
      SIMULATOR_USERNAME: 'own',
      SIMULATOR_PASSWORD: 'own-secret',
    });
    try {
      expect(await listStatus(api, 'own', 'own-secret')).toBe(200);
      expect(await listStatus(api, 'simulator', 'super_safe!')).toBe(403);
      expect(server.output()).not.toMatch(WARNING);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
