import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { serverOptions } from '../../src/http/server-options.js';
import { createLogger } from '../../src/observability/logger.js';
import { observability } from '../../src/observability/plugin.js';
import { startApi, startWeb, testConfig, type TestApp } from '../helpers/app.js';
import { SIMULATOR_AUTH } from '../helpers/simulator.js';
import { sim } from '../helpers/simulator.js';
import { Visitor } from '../helpers/web.js';
import { accessLines, field } from './ecs-fields.js';

let api: TestApp;
let web: TestApp;
beforeAll(async () => {
  [api, web] = await Promise.all([startApi(), startWeb()]);
});
afterAll(async () => {
  await Promise.all([api?.close(), web?.close()]);
});

const linesFor = (t: TestApp, requestId: string) =>
  t.logs().filter((line) => field(line, 'http.request.id') === requestId);

describe('access log', () => {
  test('when a signed-in person loads a page, then its line carries their user id', async () => {
    const visitor = new Visitor(web.app);
    await visitor.registerAndLogin('logged-person');
    const reply = await visitor.get('/public');
    const [user] = await web.db.query<{ id: number }>(
      "SELECT user_id AS id FROM users WHERE username = 'logged-person'",
    );
    const [line] = linesFor(web, String(reply.headers['x-request-id']));
    expect(field(line!, 'user.id')).toBe(String(user!.id));
  });

  test('one ECS JSON line per request, under the id the client got in x-request-id', async () => {
    await sim(api.app, 'POST', '/register', { username: 'log-user', email: 'l@u', pwd: 'x' });
    const reply = await sim(api.app, 'GET', '/msgs/log-user?no=5&latest=17');
    const id = reply.headers['x-request-id'] as string;
    const lines = accessLines(linesFor(api, id));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line['@timestamp']).toEqual(expect.any(String));
    expect(field(line, 'log.level')).toBe('info');
    expect(field(line, 'ecs.version')).toEqual(expect.any(String));
    expect(field(line, 'http.request.method')).toBe('GET');
    expect(field(line, 'http.route')).toBe('/msgs/:username');
    expect(field(line, 'url.path')).toBe('/msgs/log-user');
    expect(field(line, 'url.query')).toBe('no=5&latest=17');
    expect(field(line, 'http.response.status_code')).toBe(200);
    expect(field(line, 'event.duration')).toBeGreaterThan(0);
    expect(field(line, 'message')).toMatch(/^GET \/msgs\/log-user 200 [\d.]+ ms$/);
  });

  test('an incoming x-request-id is kept in the log line and the reply', async () => {
    const reply = await api.app.inject({
      method: 'GET',
      url: '/latest',
      headers: { 'x-request-id': 'edge-42' },
    });
    expect(reply.headers['x-request-id']).toBe('edge-42');
    expect(accessLines(linesFor(api, 'edge-42'))).toHaveLength(1);
  });

  test('probes are logged below info, so they do not flood the logs', async () => {
    const reply = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(linesFor(api, reply.headers['x-request-id'] as string)).toEqual([]);
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
    await sim(api.app, 'POST', '/register', { username: 'secret-user', email: 's@u', pwd: SECRETS.pwd });
    await sim(api.app, 'GET', '/msgs', undefined, { authorization: SIMULATOR_AUTH, ...headers });
    await sim(api.app, 'GET', '/msgs', undefined, { authorization: `Bearer ${SECRETS.bearer}` });
    await sim(api.app, 'POST', '/register', `{"pwd": "${SECRETS.pwd}", broken`);
    await api.app.inject({ method: 'GET', url: `/latest?password=${SECRETS.query}` });
    const form = new URLSearchParams({
      username: 'form-user',
      email: 'f@u',
      password: SECRETS.password,
      password2: SECRETS.password,
      csrf_token: SECRETS.csrf,
    });
    for (const url of ['/register', '/login']) {
      await web.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: form.toString(),
      });
    }
    await web.app.inject({
      method: 'GET',
      url: '/public',
      headers: { authorization: SIMULATOR_AUTH, ...headers },
    });
    expect(accessLines(api.logs()).length).toBeGreaterThanOrEqual(5);
    expect(accessLines(web.logs()).length).toBeGreaterThanOrEqual(3);
    expectNoSecret([...api.logs(), ...web.logs()]);
  });

  describe('when a handler fails with a 500', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const config = testConfig();
    const db = {
      query: async () => [],
      poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    } as unknown as Database;
    const app = Fastify(serverOptions({ config, db, logger: createLogger(config, sink) }, 1024, 'web'));
    beforeAll(async () => {
      await app.register(observability, { role: 'web', db });
      app.get('/boom', async (request) => {
        (request as unknown as { userId: number }).userId = 42;
        throw new TypeError('the handler broke');
      });
      await app.ready();
    });
    afterAll(() => app.close());

    test('then one line has the stack, the access line says error, and no header is logged', async () => {
      const reply = await app.inject({
        method: 'GET',
        url: '/boom',
        headers: { authorization: `Bearer ${SECRETS.bearer}`, cookie: `session=${SECRETS.cookie}` },
      });
      expect(reply.statusCode).toBe(500);
      const mine = lines.filter((line) => field(line, 'http.request.id') === reply.headers['x-request-id']);
      const withStack = mine.filter((line) => field(line, 'error.stack_trace'));
      expect(withStack).toHaveLength(1);
      expect(field(withStack[0]!, 'error.stack_trace')).toMatch(/TypeError: the handler broke\n\s+at /);
      const [access] = accessLines(mine);
      expect(field(access!, 'log.level')).toBe('error');
      expect(field(access!, 'http.response.status_code')).toBe(500);
      expect(field(access!, 'error.type')).toBe('TypeError');
      expect(field(access!, 'user.id')).toBe('42');
      expectNoSecret(lines);
    });
  });
});
