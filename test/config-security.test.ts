// The security settings: how they are read, their safe defaults, and errors that never show a secret.
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/settings.js';

const failure = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
};

describe('TRUST_PROXY', () => {
  test('when unset, then no proxy is trusted', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
  });

  test.each([
    ['false', false],
    ['0', false],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.251.0.0/24', ['10.251.0.0/24']],
    ['10.0.0.0/8, 172.16.0.0/12,::1', ['10.0.0.0/8', '172.16.0.0/12', '::1']],
    ['loopback,172.30.99.10', ['loopback', '172.30.99.10']],
  ])('when %j, then it is %j (exactly the proxies’ addresses and networks)', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  test.each([
    ['true', /TRUST_PROXY=true: true would trust every hop/],
    ['1', /TRUST_PROXY=1: a hop count would trust any private address/],
    ['2', /TRUST_PROXY=2: a hop count/],
    ['uniquelocal', /uniquelocal names every private address/],
    ['loopback,linklocal', /linklocal names every private address/],
    ['yes', /not a list of IP addresses/],
    ['10.0.0.1/33', /not a list/],
    ['proxy.example', /not a list/],
    ['-1', /not a list/],
    ['1.5', /not a list/],
  ])(
    'when %j, then start fails naming TRUST_PROXY and why (a client could choose its address), and says what to set',
    (value, why) => {
      const message = failure({ TRUST_PROXY: value });
      expect(message).toMatch(why);
      expect(message).toMatch(/the swarm's edge network 10\.251\.0\.0\/24; Caddy's address/);
    },
  );
});

describe('secrets in error messages', () => {
  test.each([
    'postgres://minitwit:hunter2-secret@db:port/minitwit',
    'postgres://minitwit:hunter2#secret@db/minitwit',
    'postgres://minitwit:hunter2-secret@[db/minitwit',
    'postgress://minitwit:hunter2-secret@db/minitwit',
    'postgres//minitwit:hunter2-secret@db/minitwit',
    'minitwit:hunter2-secret@db/minitwit',
  ])('when DATABASE_URL is %s, then the error names it but never shows the password', (url) => {
    const message = failure({ DATABASE_URL: url, SESSION_SECRET: 'x'.repeat(40) });
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).not.toMatch(/hunter2/);
  });

  test.each([
    ['SESSION_SECRET_PREVIOUS', 'too-short-previous'],
    ['METRICS_TOKEN', 'short'],
  ])('when %s is wrong, then its value is not shown', (name, value) => {
    const message = failure({ [name]: value });
    expect(message).toContain(name);
    expect(message).not.toContain(value);
  });
});

describe('sessions', () => {
  test('when unset, then a session ends after 7 idle days and at most 30 days after sign-in', () => {
    expect(loadConfig({})).toMatchObject({
      sessionIdleTimeoutSeconds: 7 * 24 * 3600,
      sessionMaxAgeSeconds: 30 * 24 * 3600,
      sessionSecretPrevious: undefined,
    });
  });

  test('when the idle timeout is longer than the absolute one, then start fails naming both', () => {
    const message = failure({ SESSION_IDLE_TIMEOUT_SECONDS: '7200', SESSION_MAX_AGE_SECONDS: '3600' });
    expect(message).toMatch(/SESSION_IDLE_TIMEOUT_SECONDS/);
    expect(message).toMatch(/SESSION_MAX_AGE_SECONDS/);
  });
});

describe('metrics', () => {
  test('when unset, then /metrics is served only on 127.0.0.1:9464, without a token', () => {
    expect(loadConfig({})).toMatchObject({ metricsHost: '127.0.0.1', metricsPort: 9464 });
    expect(loadConfig({}).metricsToken).toBeUndefined();
  });

  test('when set, then they are used', () => {
    const token = 't'.repeat(32);
    expect(loadConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100', METRICS_TOKEN: token })).toMatchObject(
      {
        metricsHost: '0.0.0.0',
        metricsPort: 9100,
        metricsToken: token,
      },
    );
  });
});

describe('abuse limits', () => {
  test('when unset, then sign-in and sign-up are limited per account and per client', () => {
    expect(loadConfig({})).toMatchObject({
      signInPerAccount: 10,
      signInPerClient: 30,
      signInWindowSeconds: 900,
      signUpPerClient: 20,
      signUpPerEmail: 5,
      signUpWindowSeconds: 3600,
    });
  });

  test('when a limit is 0, then it is off', () => {
    expect(loadConfig({ SIGNIN_LIMIT_PER_CLIENT: '0' }).signInPerClient).toBe(0);
  });

  test('when a window is 0, then start fails naming it', () => {
    expect(failure({ SIGNIN_LIMIT_WINDOW_SECONDS: '0' })).toMatch(/SIGNIN_LIMIT_WINDOW_SECONDS/);
  });
});

describe('MAX_CONNECTIONS_PER_CLIENT', () => {
  test('when unset, then one client may hold 100 of the 1,000 connections', () => {
    expect(loadConfig({})).toMatchObject({ maxConnections: 1000, maxConnectionsPerClient: 100 });
  });

  test.each([
    [{ MAX_CONNECTIONS: '50' }],
    [{ MAX_CONNECTIONS_PER_CLIENT: '1000' }],
    [{ MAX_CONNECTIONS: '10', MAX_CONNECTIONS_PER_CLIENT: '20' }],
  ])('when %j, then start fails: one client could still hold every connection', (env) => {
    expect(failure(env)).toMatch(/MAX_CONNECTIONS_PER_CLIENT must be below MAX_CONNECTIONS/);
  });

  test('when 0, then there is no per-client cap, whatever MAX_CONNECTIONS', () => {
    expect(
      loadConfig({ MAX_CONNECTIONS: '2', MAX_CONNECTIONS_PER_CLIENT: '0' }).maxConnectionsPerClient,
    ).toBe(0);
  });
});
