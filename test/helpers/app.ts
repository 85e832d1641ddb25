// Starts MiniTwit for a test as the server does (src/app.ts: startServices, then buildApps), on a fresh
// clone of the test database, with every log line captured so tests can read them.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApps, startServices } from '../../src/app.js';
import type { ReadCache } from '../../src/caching/read-cache.js';
import { loadServerConfig, type Config } from '../../src/config.js';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { cloneTestDatabase } from './database.js';

export interface TestApp {
  /** The app of the role started (with role `all`, the web app). */
  app: FastifyInstance;
  web: FastifyInstance;
  api: FastifyInstance;
  /** The operations app: /metrics, /healthz, /readyz with details (METRICS_HOST:METRICS_PORT). */
  metrics: FastifyInstance;
  /** The database as the apps use it (instrumented). */
  db: Database;
  /** The apps' read cache. */
  cache: ReadCache;
  databaseUrl: string | undefined;
  config: Config;
  /** Every log line written so far, parsed. */
  logs(): Record<string, unknown>[];
  /** Every log line written so far, as written. */
  rawLogs(): string[];
  close(): Promise<void>;
}

export interface StartOptions {
  role?: 'web' | 'api' | 'all';
  /** Environment variables, over the test defaults. */
  env?: Record<string, string>;
  /** Stands between the apps and the database: how a test makes the database fail. */
  wrapDatabase?: (db: Database) => Database;
}

/**
 * The configuration a test runs with, as the server loads it (loadServerConfig): the app's own defaults,
 * JSON logs, a fixed session secret, the course's simulator credentials set explicitly (as a deployment
 * that serves the course's simulator must: test/helpers/simulator.ts sends them); and no per-client
 * abuse limits, since every injected request comes from one address (test/abuse-limits.test.ts sets
 * them). Part of the helpers' API for tests that load a configuration themselves.
 *
 * @public
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadServerConfig({
    LOG_FORMAT: 'json',
    SIMULATOR_USERNAME: COURSE_SIMULATOR_CREDENTIALS.username,
    SIMULATOR_PASSWORD: COURSE_SIMULATOR_CREDENTIALS.password,
    SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    DB_POOL_SIZE: '5',
    SIGNIN_LIMIT_PER_CLIENT: '0',
    SIGNUP_LIMIT_PER_CLIENT: '0',
    ...env,
  });
}

export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const clone = await cloneTestDatabase();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = testConfig({
    MINITWIT_ROLE: options.role ?? 'all',
    ...(clone.url ? { DATABASE_URL: clone.url } : {}),
    ...options.env,
  });
  const logger = createLogger(config, sink);
  const wrap = options.wrapDatabase ?? ((db: Database) => db);
  // A server database is opened from the configuration, as in production.
  const open = async () => wrap(clone.url ? await openDatabase(config, logger) : await clone.open());
  const services = await startServices(config, logger, { open });
  const apps = await buildApps(services);
  const byRole = (role: string) => {
    const found = apps.find((a) => a.role === role)?.app;
    if (!found) throw new Error(`this test started role ${config.role}, not ${role}`);
    return found;
  };
  return {
    app: apps[0]!.app,
    get web() {
      return byRole('web');
    },
    get api() {
      return byRole('api');
    },
    get metrics() {
      return byRole('metrics');
    },
    db: services.db,
    cache: services.cache,
    databaseUrl: clone.url,
    config,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    rawLogs: () => [...lines],
    close: async () => {
      await Promise.all(apps.map(({ app }) => app.close()));
      await services.close();
    },
  };
}

/**
 * More apps on a started test's database, built with other settings (as another replica, or the same
 * deployment configured otherwise): far cheaper than starting another test database.
 */
export async function appsOn(t: TestApp, env: Record<string, string>) {
  const config = testConfig({ MINITWIT_ROLE: 'all', LOG_LEVEL: 'silent', ...env });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const apps = await buildApps({ config, db: t.db, cache: t.cache, logger: createLogger(config, sink) });
  const byRole = (role: string) => apps.find((a) => a.role === role)!.app;
  return {
    web: byRole('web'),
    api: byRole('api'),
    metrics: byRole('metrics'),
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    close: () => Promise.all(apps.map(({ app }) => app.close())).then(() => undefined),
  };
}

export const startApi = (env: Record<string, string> = {}) => startApp({ role: 'api', env });
export const startWeb = (env: Record<string, string> = {}) => startApp({ role: 'web', env });

/** An API app and a web app for a test file's tests: started before them, closed after them. */
export function apiAndWebApps(): { readonly api: TestApp; readonly web: TestApp } {
  let apps: TestApp[] = [];
  beforeAll(async () => {
    apps = await Promise.all([startApi(), startWeb()]);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });
  return {
    get api() {
      return apps[0]!;
    },
    get web() {
      return apps[1]!;
    },
  };
}
