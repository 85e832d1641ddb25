import { expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import { COURSE_SIMULATOR_CREDENTIALS, simulatorCredentials } from '../src/api/simulator/credentials.js';

test('when nothing is set, then the defaults are the documented ones', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    role: 'all',
    host: '0.0.0.0',
    webPort: 5000,
    apiPort: 5001,
    databaseUrl: undefined,
    dataDir: './data',
    dbPoolSize: 10,
    logLevel: 'info',
    simulatorUsername: undefined,
    simulatorPassword: undefined,
  });
  // The embedded database's default (with DATABASE_URL they must be set: test/simulator-credentials.test.ts).
  expect(simulatorCredentials(config)).toEqual(COURSE_SIMULATOR_CREDENTIALS);
});

test('when variables are set, then they are converted and used', () => {
  const config = loadConfig({
    PORT: '8080',
    MINITWIT_ROLE: 'api',
    DB_POOL_SIZE: '20',
    TRUST_PROXY: '10.0.0.2',
  });
  expect(config).toMatchObject({ webPort: 8080, role: 'api', dbPoolSize: 20, trustProxy: ['10.0.0.2'] });
});

test.each([
  [{ PORT: 'eighty' }, /PORT=eighty/],
  [{ API_PORT: '70000' }, /API_PORT=70000/],
  [{ MINITWIT_ROLE: 'worker' }, /MINITWIT_ROLE=worker/],
  [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
  [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL=loud/],
  [{ DB_POOL_SIZE: '0' }, /DB_POOL_SIZE=0/],
])('when %j is wrong, then start fails naming that variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(message);
});

test('when a secret is wrong, then the message names it without showing its value', () => {
  expect(() => loadConfig({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET=\(hidden\)/);
  expect(() => loadConfig({ SESSION_SECRET: 'short' })).not.toThrow(/short/);
});
