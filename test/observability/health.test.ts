import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { startApi, startApp, startWeb, type TestApp } from '../helpers/app.js';
import { sim } from '../helpers/simulator.js';
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

describe('when the database stops answering', () => {
  let down = false;
  const refused = () =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  /** The app's database, until the test takes it down: then every statement is refused, as by a dead server. */
  const switchable = (db: Database): Database => ({
    kind: db.kind,
    query: (sql, params) => (down ? refused() : db.query(sql, params)),
    exec: (sql) => (down ? refused() : db.exec(sql)),
    transaction: (work) => (down ? refused() : db.transaction(work)),
    poolStats: () => (down ? { total: 0, idle: 0, waiting: 3 } : db.poolStats()),
    close: () => db.close(),
  });
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ role: 'api', wrapDatabase: switchable });
    // A statement that works, then the outage: the database answered a moment ago and no longer does.
    await t.db.query('SELECT 1');
    down = true;
  });
  afterAll(async () => {
    down = false;
    await t.close();
  });
  afterEach(() => vi.restoreAllMocks());

  test('then a request fails 503, /readyz answers 503 and /healthz still 200', async () => {
    expect((await sim(t.api, 'GET', '/msgs')).statusCode).toBe(503);
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', error_msg: 'The database does not answer' });
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  test('in the first seconds of the process too (the clock starts near 0), /readyz answers 503', async () => {
    // performance.now() counts from the process's start: a failure must not read as "answered at time 0".
    vi.spyOn(performance, 'now').mockReturnValue(1_000);
    expect((await sim(t.api, 'GET', '/msgs')).statusCode).toBe(503);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  });

  test('then /metrics says minitwit_database_up 0 and shows the waiting clients', async () => {
    expect((await sim(t.api, 'GET', '/msgs')).statusCode).toBe(503);
    const samples = parseSamples((await t.metrics.inject({ method: 'GET', url: '/metrics' })).body);
    expect(valueOf(samples, 'minitwit_database_up')).toBe(0);
    expect(valueOf(samples, 'minitwit_db_pool_waiting_clients')).toBe(3);
  });
});
