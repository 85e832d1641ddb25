import { describe, expect, test } from 'vitest';
import { apiAndWebApps, type TestApp } from '../helpers/app.js';
import { newUser } from '../helpers/factory.js';
import { path, sim, SIMULATOR_AUTH } from '../helpers/simulator.js';
import { familyNames, parseSamples, valueOf } from './prometheus-text.js';

const apps = apiAndWebApps();

/** As Prometheus does: on the internal operations port (METRICS_PORT). */
const scrape = async (t: TestApp) => {
  const reply = await t.metrics.inject({ method: 'GET', url: '/metrics' });
  expect(reply.statusCode).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: reply.body, samples: parseSamples(reply.body) };
};

/**
 * How much each series moved while `act` ran. Counters are per process and this file's tests share it, so
 * a test reads its own change, never a total; one scrape of the API's operations app shows both apps.
 */
async function movesDuring(act: () => Promise<unknown>) {
  const before = (await scrape(apps.api)).samples;
  await act();
  const { text, samples: after } = await scrape(apps.api);
  const delta = (name: string, labels: Record<string, string> = {}) =>
    valueOf(after, name, labels) - valueOf(before, name, labels);
  return { text, after, delta };
}

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
    const { text, samples } = await scrape(role === 'api' ? apps.api : apps.web);
    expect(familyNames(text)).toEqual(expect.arrayContaining(FAMILIES));
    expect(valueOf(samples, 'minitwit_database_up')).toBe(1);
    expect(valueOf(samples, 'minitwit_db_pool_connections')).toBeGreaterThanOrEqual(1);
  });

  test('when the API registers a user, then the business counter and the /register histogram move', async () => {
    const { delta, after } = await movesDuring(() => newUser(apps.api.app, { prefix: 'metrics' }));
    const labels = { role: 'api', method: 'POST', route: '/register', status_code: '204' };
    expect(delta('minitwit_business_events_total', { event: 'user_registered', source: 'api' })).toBe(1);
    expect(delta('minitwit_http_requests_total', labels)).toBe(1);
    expect(delta('minitwit_http_request_duration_seconds_count', labels)).toBe(1);
    expect(delta('minitwit_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
    expect(valueOf(after, 'minitwit_http_requests_in_flight', { role: 'api' })).toBe(0);
  });

  test('when a path has a username, then the route label is the template, never the name', async () => {
    const { username } = await newUser(apps.api.app, { prefix: 'Zoë Route' });
    const { text, after, delta } = await movesDuring(() =>
      sim(apps.api.app, 'GET', path('/msgs', username, '?latest=4242')),
    );
    expect(delta('minitwit_http_requests_total', { route: '/msgs/:username', method: 'GET' })).toBe(1);
    expect(text).not.toMatch(/Zo(ë|%C3%AB)/);
    expect(valueOf(after, 'minitwit_simulator_latest_action_id')).toBe(4242);
  });

  test('when no route matches, then the route label is "unmatched" and the kind is not_found', async () => {
    const { text, delta } = await movesDuring(async () => {
      await apps.api.app.inject({ method: 'GET', url: '/wp-admin/setup.php' });
      await apps.web.app.inject({ method: 'GET', url: '/no/such/page/here' });
    });
    expect(text).not.toContain('wp-admin');
    for (const role of ['api', 'web']) {
      const unmatched = { role, route: 'unmatched' };
      expect(delta('minitwit_http_requests_total', { ...unmatched, status_code: '404' })).toBe(1);
      expect(delta('minitwit_http_errors_total', { ...unmatched, kind: 'not_found' })).toBe(1);
    }
  });

  test('when the simulator credentials are missing or the body is bad, then the error kinds say so', async () => {
    const { delta } = await movesDuring(async () => {
      await sim(apps.api.app, 'GET', '/msgs', undefined, { authorization: 'Basic bm9wZTpub3Bl' });
      await sim(apps.api.app, 'POST', '/fllws/nobody', '{not json', {
        'content-type': 'application/json',
        authorization: SIMULATOR_AUTH,
      });
    });
    expect(delta('minitwit_http_errors_total', { route: '/msgs', kind: 'unauthorized' })).toBe(1);
    expect(delta('minitwit_http_errors_total', { route: '/fllws/:username', kind: 'bad_request' })).toBe(1);
  });

  test('when probes and scrapes arrive, then they are not counted as requests', async () => {
    const { after } = await movesDuring(async () => {
      for (const url of ['/healthz', '/readyz', '/metrics'])
        await apps.api.app.inject({ method: 'GET', url });
    });
    for (const route of ['/healthz', '/readyz', '/metrics']) {
      expect(valueOf(after, 'minitwit_http_requests_total', { route })).toBe(0);
    }
  });

  test('when the API answers queries, then their durations are in the query histogram by verb', async () => {
    // The apps' database is the one the server uses: instrumented by startDatabase (src/app.ts).
    const { delta } = await movesDuring(async () => {
      await apps.api.db.query('SELECT 1');
      await apps.api.db.query('SELEKT nonsense').catch(() => undefined);
      await apps.api.db.transaction((tx) => tx.query('SELECT 2'));
    });
    const count = (labels: Record<string, string>) =>
      delta('minitwit_db_query_duration_seconds_count', labels);
    // At least: a scrape's database-up gauge may ping each watched database (here the API's and the web's)
    // with a SELECT of its own. Nothing else fails or opens a transaction, so those counts are exact.
    expect(count({ operation: 'select', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(count({ operation: 'other', outcome: 'error' })).toBe(1);
    expect(count({ operation: 'transaction', outcome: 'ok' })).toBe(1);
    expect(count({ operation: 'select', outcome: 'error' })).toBe(0);
  });

  test('/metrics is not in the OpenAPI document', async () => {
    const doc = (await apps.api.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: object;
    }>();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).toContain('/msgs');
  });
});
