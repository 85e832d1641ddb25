// Who may read the metrics and the detailed readiness: they tell an attacker the Node version, memory,
// counts and pool state, so they are served on an internal address (METRICS_HOST:METRICS_PORT), and on
// the public ports only to a Prometheus that sends METRICS_TOKEN.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appsOn, startApp, type TestApp } from '../helpers/app.js';
import { parseSamples, valueOf } from './prometheus-text.js';

const TOKEN = 'a-metrics-token-for-the-tests-0123';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: { LOG_LEVEL: 'silent' } });
});
afterAll(() => t.close());

describe('without METRICS_TOKEN (the default)', () => {
  test.each(['web', 'api'] as const)(
    'when /metrics is asked on the public %s port, then 404 and no metric',
    async (role) => {
      const reply = await t[role].inject({ method: 'GET', url: '/metrics' });
      expect(reply.statusCode).toBe(404);
      expect(reply.body).not.toContain('nodejs_');
    },
  );

  test.each(['web', 'api'] as const)(
    'when /readyz is asked on the public %s port, then it says only whether it is ready',
    async (role) => {
      const reply = await t[role].inject({ method: 'GET', url: '/readyz' });
      expect(reply.statusCode).toBe(200);
      expect(reply.json()).toEqual({ status: 'ok' });
    },
  );

  test('when Prometheus scrapes the internal metrics port, then it gets every family, both roles in one registry', async () => {
    const reply = await t.metrics.inject({ method: 'GET', url: '/metrics' });
    expect(reply.statusCode).toBe(200);
    const samples = parseSamples(reply.body);
    expect(valueOf(samples, 'minitwit_database_up')).toBe(1);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  test('when the internal port is asked /readyz, then it details the database and the pool', async () => {
    const reply = await t.metrics.inject({ method: 'GET', url: '/readyz' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({
      status: 'ok',
      draining: false,
      database: {
        kind: t.db.kind,
        answers: true,
        pool: { total: expect.any(Number), idle: expect.any(Number), waiting: 0 },
      },
    });
    expect((await t.metrics.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  test('when the internal port is asked anything else, then 404', async () => {
    expect((await t.metrics.inject({ method: 'GET', url: '/public' })).statusCode).toBe(404);
  });
});

describe('with METRICS_TOKEN', () => {
  let withToken: Awaited<ReturnType<typeof appsOn>>;
  beforeAll(async () => {
    withToken = await appsOn(t, { METRICS_TOKEN: TOKEN });
  });
  afterAll(() => withToken.close());

  test.each(['web', 'api', 'metrics'] as const)(
    'when the %s port is scraped with the token, then 200',
    async (role) => {
      const reply = await withToken[role].inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(reply.statusCode).toBe(200);
      expect(reply.body).toContain('minitwit_database_up');
    },
  );

  test.each([
    ['no token', {}],
    ['a wrong token', { authorization: `Bearer ${TOKEN.replace('0', '1')}` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 10)}` }],
    ['Basic credentials', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
  ])('when it is scraped with %s, then 401 and no metric', async (_what, headers) => {
    for (const role of ['web', 'api', 'metrics'] as const) {
      const reply = await withToken[role].inject({ method: 'GET', url: '/metrics', headers });
      expect(reply.statusCode).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Bearer');
      expect(reply.body).not.toContain('minitwit_');
    }
  });
});
