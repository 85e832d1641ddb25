import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { serverOptions } from '../../src/http/server-options.js';
import { createLogger } from '../../src/observability/logger.js';
import { observability } from '../../src/observability/plugin.js';
import { startApi, startWeb, testConfig, type TestApp } from '../helpers/app.js';
import { parseSamples, valueOf } from './prometheus-text.js';

describe.each([
  ['api', startApi],
  ['web', startWeb],
] as const)('the %s app', (_role, start) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(() => t.close());

  test('GET /healthz answers 200 ok', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz answers 200 ok when the database answers', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({ status: 'ok' });
  });

  test('every reply carries its request id; a sane incoming one is kept, anything else replaced', async () => {
    const kept = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'lb-1234.abc' },
    });
    expect(kept.headers['x-request-id']).toBe('lb-1234.abc');
    const replaced = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id <script>' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await t.app.inject({ method: 'GET', url: '/no/such/thing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('when the database does not answer', () => {
  const refused = () =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  const deadDb: Database = {
    kind: 'postgres',
    query: refused,
    exec: refused,
    transaction: refused,
    poolStats: () => ({ total: 0, idle: 0, waiting: 3 }),
    close: async () => {},
  };
  const config = testConfig();
  const METRICS_TOKEN = 'a-token-for-this-test-only';
  const app = Fastify(
    serverOptions({ config, db: deadDb, logger: createLogger(config, process.stderr) }, 1024, 'api'),
  );
  beforeAll(async () => {
    await app.register(observability, { role: 'api', db: deadDb, metricsToken: METRICS_TOKEN });
    await app.ready();
  });
  afterAll(() => app.close());

  test('then /readyz answers 503 and /healthz still 200', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', error_msg: 'The database does not answer' });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  test('then /metrics says minitwit_database_up 0 and shows the waiting clients', async () => {
    const headers = { authorization: `Bearer ${METRICS_TOKEN}` };
    const samples = parseSamples((await app.inject({ method: 'GET', url: '/metrics', headers })).body);
    expect(valueOf(samples, 'minitwit_database_up')).toBe(0);
    expect(valueOf(samples, 'minitwit_db_pool_waiting_clients')).toBe(3);
  });
});
