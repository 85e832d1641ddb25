import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, startWeb, type TestApp } from '../helpers/app.js';
import { register, sim, SIMULATOR_AUTH } from '../helpers/simulator.js';
import { familyNames, parseSamples, valueOf } from './prometheus-text.js';

let api: TestApp;
let web: TestApp;
beforeAll(async () => {
  [api, web] = await Promise.all([startApi(), startWeb()]);
});
afterAll(async () => {
  await Promise.all([api?.close(), web?.close()]);
});

/** As Prometheus does: on the internal operations port (METRICS_PORT). */
const scrape = async (t: TestApp) => {
  const reply = await t.metrics.inject({ method: 'GET', url: '/metrics' });
  expect(reply.statusCode).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: reply.body, samples: parseSamples(reply.body) };
};

const FAMILIES = [
  'minitwit_http_requests_total',
  'minitwit_http_request_duration_seconds',
  'minitwit_http_requests_in_flight',
  'minitwit_http_errors_total',
  'minitwit_business_events_total',
  'minitwit_simulator_latest_action_id',
  'minitwit_db_pool_connections',
  'minitwit_db_pool_idle_connections',
  'minitwit_db_pool_waiting_clients',
  'minitwit_db_query_duration_seconds',
  'minitwit_database_up',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_gc_duration_seconds',
  'process_cpu_seconds_total',
];

describe('GET /metrics', () => {
  test.each(['api', 'web'] as const)('on the %s app, then every family is exposed', async (role) => {
    const { text, samples } = await scrape(role === 'api' ? api : web);
    expect(familyNames(text)).toEqual(expect.arrayContaining(FAMILIES));
    expect(valueOf(samples, 'minitwit_database_up')).toBe(1);
    expect(valueOf(samples, 'minitwit_db_pool_connections')).toBeGreaterThanOrEqual(1);
  });

  test('when the API registers a user, then the business counter and the /register histogram move', async () => {
    const before = (await scrape(api)).samples;
    await register(api.app, 'metrics-alice');
    const after = (await scrape(api)).samples;
    const event = { event: 'user_registered', source: 'api' };
    const labels = { role: 'api', method: 'POST', route: '/register', status_code: '204' };
    const delta = (name: string, l: Record<string, string>) =>
      valueOf(after, name, l) - valueOf(before, name, l);
    expect(delta('minitwit_business_events_total', event)).toBe(1);
    expect(delta('minitwit_http_requests_total', labels)).toBe(1);
    expect(delta('minitwit_http_request_duration_seconds_count', labels)).toBe(1);
    expect(delta('minitwit_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
    expect(valueOf(after, 'minitwit_http_requests_in_flight', { role: 'api' })).toBe(0);
  });

  test('when a path has a username, then the route label is the template, never the name', async () => {
    await register(api.app, 'Zoë Route');
    await sim(api.app, 'GET', `/msgs/${encodeURIComponent('Zoë Route')}?latest=4242`);
    const { text, samples } = await scrape(api);
    expect(
      valueOf(samples, 'minitwit_http_requests_total', { route: '/msgs/:username', method: 'GET' }),
    ).toBe(1);
    expect(text).not.toMatch(/Zo(ë|%C3%AB)/);
    expect(valueOf(samples, 'minitwit_simulator_latest_action_id')).toBe(4242);
  });

  test('when no route matches, then the route label is "unmatched" and the kind is not_found', async () => {
    await api.app.inject({ method: 'GET', url: '/wp-admin/setup.php' });
    await web.app.inject({ method: 'GET', url: '/no/such/page/here' });
    const { text, samples } = await scrape(api);
    expect(text).not.toContain('wp-admin');
    for (const role of ['api', 'web']) {
      expect(
        valueOf(samples, 'minitwit_http_requests_total', { role, route: 'unmatched', status_code: '404' }),
      ).toBe(1);
      expect(
        valueOf(samples, 'minitwit_http_errors_total', { role, route: 'unmatched', kind: 'not_found' }),
      ).toBe(1);
    }
  });

  test('when the simulator credentials are missing or the body is bad, then the error kinds say so', async () => {
    await sim(api.app, 'GET', '/msgs', undefined, { authorization: 'Basic bm9wZTpub3Bl' });
    await sim(api.app, 'POST', '/fllws/nobody', '{not json', {
      'content-type': 'application/json',
      authorization: SIMULATOR_AUTH,
    });
    const { samples } = await scrape(api);
    expect(valueOf(samples, 'minitwit_http_errors_total', { route: '/msgs', kind: 'unauthorized' })).toBe(1);
    expect(
      valueOf(samples, 'minitwit_http_errors_total', { route: '/fllws/:username', kind: 'bad_request' }),
    ).toBe(1);
  });

  test('when probes and scrapes arrive, then they are not counted as requests', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) await api.app.inject({ method: 'GET', url });
    const { samples } = await scrape(api);
    for (const route of ['/healthz', '/readyz', '/metrics']) {
      expect(valueOf(samples, 'minitwit_http_requests_total', { route })).toBe(0);
    }
  });

  test('when the API answers queries, then their durations are in the query histogram by verb', async () => {
    const count = (samples: ReturnType<typeof parseSamples>, labels: Record<string, string>) =>
      valueOf(samples, 'minitwit_db_query_duration_seconds_count', labels);
    // A statement just now: the scrape's up-gauge then needs no probe of its own, which would count too.
    await api.db.query('SELECT 0');
    const before = (await scrape(api)).samples;
    // The apps' database is the one the server uses: instrumented by startDatabase (src/app.ts).
    await api.db.query('SELECT 1');
    await api.db.query('SELEKT nonsense').catch(() => undefined);
    await api.db.transaction((tx) => tx.query('SELECT 2'));
    const after = (await scrape(api)).samples;
    const delta = (labels: Record<string, string>) => count(after, labels) - count(before, labels);
    expect(delta({ operation: 'select', outcome: 'ok' })).toBe(2);
    expect(delta({ operation: 'other', outcome: 'error' })).toBe(1);
    expect(delta({ operation: 'transaction', outcome: 'ok' })).toBe(1);
  });

  test('/metrics is not in the OpenAPI document', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: object }>();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).toContain('/msgs');
  });
});
