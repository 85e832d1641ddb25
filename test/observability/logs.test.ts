import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { apiAndWebApps, startApp, type TestApp } from '../helpers/app.js';
import { newUser, signedInUser, uniqueName } from '../helpers/factory.js';
import { sim, SIMULATOR_AUTH } from '../helpers/simulator.js';
import { accessLines, field } from './ecs-fields.js';

const apps = apiAndWebApps();

const linesFor = (t: TestApp, requestId: string) =>
  t.logs().filter((line) => field(line, 'http.request.id') === requestId);

describe('log capture (what every other test here reads)', () => {
  test.each(['api', 'web'] as const)('the %s app has logged its start and its requests', async (role) => {
    const t = role === 'api' ? apps.api : apps.web;
    const reply = await t.app.inject({ method: 'GET', url: '/no/such/page' });
    const messages = t.logs().map((line) => field(line, 'message'));
    expect(messages).toContain('database ready');
    expect(accessLines(linesFor(t, String(reply.headers['x-request-id'])))).toHaveLength(1);
  });
});

describe('access log', () => {
  test('when a signed-in person loads a page, then its line carries their user id', async () => {
    const { username, visitor } = await signedInUser(apps.web.app, { prefix: 'logged-person' });
    const reply = await visitor.get('/public');
    const [user] = await apps.web.db.query<{ id: number }>(
      'SELECT user_id AS id FROM users WHERE username = $1',
      [username],
    );
    const [line] = linesFor(apps.web, String(reply.headers['x-request-id']));
    expect(field(line!, 'user.id')).toBe(String(user!.id));
  });

  test('one ECS JSON line per request, under the id the client got in x-request-id', async () => {
    const { username } = await newUser(apps.api.app, { prefix: 'log-user' });
    const reply = await sim(apps.api.app, 'GET', `/msgs/${username}?no=5&latest=17`);
    const id = reply.headers['x-request-id'] as string;
    const lines = accessLines(linesFor(apps.api, id));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line['@timestamp']).toEqual(expect.any(String));
    expect(field(line, 'log.level')).toBe('info');
    expect(field(line, 'ecs.version')).toEqual(expect.any(String));
    expect(field(line, 'http.request.method')).toBe('GET');
    expect(field(line, 'http.route')).toBe('/msgs/:username');
    expect(field(line, 'url.path')).toBe(`/msgs/${username}`);
    expect(field(line, 'url.query')).toBe('no=5&latest=17');
    expect(field(line, 'http.response.status_code')).toBe(200);
    expect(field(line, 'event.duration')).toBeGreaterThan(0);
    expect(field(line, 'message')).toMatch(new RegExp(`^GET /msgs/${username} 200 [\\d.]+ ms$`));
  });

  test('an incoming x-request-id is kept in the log line and the reply', async () => {
    const reply = await apps.api.app.inject({
      method: 'GET',
      url: '/latest',
      headers: { 'x-request-id': 'edge-42' },
    });
    expect(reply.headers['x-request-id']).toBe('edge-42');
    expect(accessLines(linesFor(apps.api, 'edge-42'))).toHaveLength(1);
  });

  test('probes are logged below info, so they do not flood the logs', async () => {
    const probe = await apps.api.app.inject({ method: 'GET', url: '/healthz' });
    const request = await apps.api.app.inject({ method: 'GET', url: '/latest' });
    expect(linesFor(apps.api, probe.headers['x-request-id'] as string)).toEqual([]);
    // The request beside it is logged: the probe's silence is not a capture that lost everything.
    expect(accessLines(linesFor(apps.api, request.headers['x-request-id'] as string))).toHaveLength(1);
  });
});

const SECRETS = {
  pwd: 'api-pwd-Kq81!zz',
  basic: SIMULATOR_AUTH.split(' ')[1]!,
  bearer: 'bearer-token-93jdk2',
  cookie: 'session-cookie-value-Xy7',
  password: 'form-password-Pp55',
  csrf: 'csrf-token-Ab12Cd34',
  query: 'query-password-Qq99',
};

function expectNoSecret(lines: Record<string, unknown>[]) {
  const text = JSON.stringify(lines);
  for (const [name, secret] of Object.entries(SECRETS)) expect(text, `${name} leaked`).not.toContain(secret);
}

describe('secrets never reach a log line', () => {
  test('API register, Authorization and Cookie headers, a form with password and csrf_token', async () => {
    const headers = { cookie: `session=${SECRETS.cookie}; flash=x` };
    await sim(apps.api.app, 'POST', '/register', {
      username: uniqueName('secret'),
      email: 's@u',
      pwd: SECRETS.pwd,
    });
    await sim(apps.api.app, 'GET', '/msgs', undefined, { authorization: SIMULATOR_AUTH, ...headers });
    await sim(apps.api.app, 'GET', '/msgs', undefined, { authorization: `Bearer ${SECRETS.bearer}` });
    await sim(apps.api.app, 'POST', '/register', `{"pwd": "${SECRETS.pwd}", broken`);
    await apps.api.app.inject({ method: 'GET', url: `/latest?password=${SECRETS.query}` });
    const form = new URLSearchParams({
      username: uniqueName('form'),
      email: 'f@u',
      password: SECRETS.password,
      password2: SECRETS.password,
      csrf_token: SECRETS.csrf,
    });
    for (const url of ['/register', '/login']) {
      await apps.web.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: form.toString(),
      });
    }
    await apps.web.app.inject({
      method: 'GET',
      url: '/public',
      headers: { authorization: SIMULATOR_AUTH, ...headers },
    });
    expect(accessLines(apps.api.logs()).length).toBeGreaterThanOrEqual(5);
    expect(accessLines(apps.web.logs()).length).toBeGreaterThanOrEqual(3);
    expectNoSecret([...apps.api.logs(), ...apps.web.logs()]);
  });

  describe('when a handler fails with a 500', () => {
    let broken = false;
    /** The app's database, with a bug in reading messages once the test sets `broken`. */
    const withBug = (db: Database): Database => ({
      ...db,
      query: (sql, params) => {
        if (broken && /FROM messages/.test(sql)) throw new TypeError('the handler broke');
        return db.query(sql, params);
      },
    });
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({ role: 'web', wrapDatabase: withBug });
    });
    afterAll(() => t.close());

    test('then one line has the stack, the access line says error, and no header is logged', async () => {
      const { username, visitor } = await signedInUser(t.app, { prefix: 'broken' });
      const [user] = await t.db.query<{ id: number }>('SELECT user_id AS id FROM users WHERE username = $1', [
        username,
      ]);
      const session = visitor.cookies.get('session');
      expect(session).toEqual(expect.any(String));
      broken = true;
      const reply = await t.app.inject({
        method: 'GET',
        url: '/public',
        headers: { authorization: `Bearer ${SECRETS.bearer}`, cookie: `session=${session!}` },
      });
      broken = false;
      expect(reply.statusCode).toBe(500);
      const mine = linesFor(t, String(reply.headers['x-request-id']));
      const withStack = mine.filter((line) => field(line, 'error.stack_trace'));
      expect(withStack).toHaveLength(1);
      expect(field(withStack[0]!, 'error.stack_trace')).toMatch(/TypeError: the handler broke\n\s+at /);
      const [access] = accessLines(mine);
      expect(field(access!, 'log.level')).toBe('error');
      expect(field(access!, 'http.response.status_code')).toBe(500);
      expect(field(access!, 'error.type')).toBe('TypeError');
      expect(field(access!, 'user.id')).toBe(String(user!.id));
      expect(JSON.stringify(t.logs())).not.toContain(session!);
      expectNoSecret(t.logs());
    });
  });
});
