// Boots the real apps on a real (cloned) database, with logs captured so tests can read them.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { buildWebApp } from '../../src/web/app.js';
import { openTestDatabase } from './database.js';

export const SIMULATOR_AUTH = 'Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh';

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  databaseUrl: string | undefined;
  config: Config;
  /** Every log line written so far, parsed. */
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_FORMAT: 'json',
    SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    ...env,
  });
}

async function start(build: typeof buildApiApp, env: Record<string, string>): Promise<TestApp> {
  const { db, url } = await openTestDatabase();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = testConfig(env);
  const logger = createLogger(config, sink);
  const app = await build({ config, db, logger });
  await app.ready();
  return {
    app,
    db,
    databaseUrl: url,
    config,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

export const startApi = (env: Record<string, string> = {}) => start(buildApiApp, env);
export const startWeb = (env: Record<string, string> = {}) => start(buildWebApp, env);
