// Abuse limits on signing in and up: per account and per client, kept in the database (so every replica
// counts together), answered 429 with Retry-After: a page on the web, JSON on the API. The simulator,
// with its credentials, is never limited; and `latest` is recorded only for it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientKey } from '../src/abuse-limits.js';
import { findUserByName } from '../src/data/users.js';
import { appsOn, startApp, type TestApp } from './helpers/app.js';
import { sim, simulatorHeaders } from './helpers/simulator.js';
import { Visitor } from './helpers/web.js';

const LIMITS = {
  SIGNIN_LIMIT_PER_ACCOUNT: '5',
  SIGNIN_LIMIT_PER_CLIENT: '8',
  SIGNUP_LIMIT_PER_CLIENT: '4',
  SIGNUP_LIMIT_PER_EMAIL: '2',
  TRUST_PROXY: '127.0.0.1',
  LOG_LEVEL: 'silent',
};

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: LIMITS });
});
afterAll(() => t.close());

/** A visitor whose requests come, through our trusted proxy (127.0.0.1), from `ip`. */
const from = (ip: string, app = t.web) => new Visitor(app, { 'x-forwarded-for': ip });
const signIn = (ip: string, username: string, password: string) =>
  from(ip).post('/login', { username, password }, {}, false);
const apiRegister = (ip: string, username: string, headers: Record<string, string> = {}) =>
  t.api.inject({
    method: 'POST',
    url: '/register',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...headers },
    payload: JSON.stringify({ username, email: `${username}@example.com`, pwd: 'secret' }),
  });

describe('signing in', () => {
  test('when an account gets more wrong passwords than its limit, then 429 with Retry-After, even from another address, even with the right password', async () => {
    await from('10.1.0.1').register('target', 'right');
    for (let i = 0; i < 5; i++) {
      const reply = await signIn(`10.1.0.${10 + i}`, 'target', `wrong-${i}`);
      expect(reply.statusCode).toBe(200);
      expect(reply.body).toContain('Invalid password');
    }
    const refused = await signIn('10.1.0.99', 'target', 'right');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/text\/html/);
    expect(refused.body).toContain('<title>Too Many Requests | MiniTwit</title>');
    expect(refused.body).toContain('Too many failed sign-ins for this account');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(refused.cookies.find((c) => c.name === 'session')).toBeUndefined();
  });

  test('when one address tries many accounts, then it is refused after its limit, and other addresses are not', async () => {
    for (let i = 0; i < 8; i++)
      expect((await signIn('10.2.0.1', `nobody-${i}`, 'guess')).body).toContain('Invalid username');
    expect((await signIn('10.2.0.1', 'nobody-9', 'guess')).statusCode).toBe(429);
    expect((await signIn('10.2.0.2', 'nobody-9', 'guess')).body).toContain('Invalid username');
  });

  test('when a person signs in after a few mistakes, then it works and their account count starts again', async () => {
    await from('10.3.0.1').register('forgetful', 'right');
    for (let round = 0; round < 2; round++) {
      const ip = `10.3.0.${round + 1}`;
      for (let i = 0; i < 4; i++) await signIn(ip, 'forgetful', 'wrong');
      expect((await signIn(ip, 'forgetful', 'right')).statusCode).toBe(302);
    }
  });

  test('when another replica (another app on the same database) is asked, then it counts the same failures', async () => {
    await from('10.4.0.1').register('shared-count', 'right');
    const replica = await appsOn(t, LIMITS);
    try {
      for (let i = 0; i < 5; i++) await signIn(`10.4.0.${i + 2}`, 'shared-count', 'wrong');
      const reply = await from('10.4.0.50', replica.web).post(
        '/login',
        { username: 'shared-count', password: 'right' },
        {},
        false,
      );
      expect(reply.statusCode).toBe(429);
    } finally {
      await replica.close();
    }
  });
});

describe('concurrent sign-ins (issue 18, finding 1)', () => {
  /**
   * `count` wrong-password sign-ins sent at once over real HTTP, each through our trusted proxy from
   * `ip`; returns how many were answered without a 429, that is, how many passwords were checked.
   */
  async function concurrentWrongPasswords(env: Record<string, string>, accounts: string[], count: number) {
    const replica = await appsOn(t, { ...LIMITS, ...env });
    try {
      const origin = await replica.web.listen({ host: '127.0.0.1', port: 0 });
      const statuses = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          fetch(`${origin}/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '10.10.0.1' },
            body: new URLSearchParams({ username: accounts[i % accounts.length]!, password: `wrong-${i}` }),
          }).then(async (reply) => (await reply.arrayBuffer(), reply.status)),
        ),
      );
      const checked = statuses.filter((status) => status !== 429).length;
      expect(statuses.filter((status) => status !== 429 && status !== 200)).toEqual([]);
      return checked;
    } finally {
      await replica.close();
    }
  }

  test('when 300 wrong passwords for one account arrive at once from one address, then at most the account limit (10) are checked', async () => {
    await from('10.10.0.2').register('besieged', 'right');
    const checked = await concurrentWrongPasswords(
      { SIGNIN_LIMIT_PER_ACCOUNT: '10', SIGNIN_LIMIT_PER_CLIENT: '0' },
      ['besieged'],
      300,
    );
    console.log(`finding 1, one account: ${checked} of 300 concurrent wrong passwords checked (limit 10)`);
    expect(checked).toBeLessThanOrEqual(10);
    expect(checked).toBeGreaterThan(0);
  });

  test('when 300 sign-ins to many accounts arrive at once from one address, then at most the client limit (8) are checked', async () => {
    const accounts = Array.from({ length: 5 }, (_, i) => `crowd-${i}`);
    for (const [i, account] of accounts.entries()) await from(`10.10.1.${i}`).register(account, 'right');
    const checked = await concurrentWrongPasswords(
      { SIGNIN_LIMIT_PER_ACCOUNT: '0', SIGNIN_LIMIT_PER_CLIENT: '8' },
      accounts,
      300,
    );
    console.log(`finding 1, one address: ${checked} of 300 concurrent sign-ins checked (limit 8)`);
    expect(checked).toBeLessThanOrEqual(8);
    expect(checked).toBeGreaterThan(0);
  });

  test('when a person signs in right after failures from the same address, then the success gives the address its attempt back', async () => {
    await from('10.11.0.1').register('returning', 'right');
    for (let i = 0; i < 7; i++) await signIn('10.11.0.2', `unknown-${i}`, 'x');
    for (let i = 0; i < 3; i++)
      expect((await signIn('10.11.0.2', 'returning', 'right')).statusCode).toBe(302);
    expect((await signIn('10.11.0.2', 'unknown-last', 'x')).body).toContain('Invalid username');
    expect((await signIn('10.11.0.2', 'unknown-over', 'x')).statusCode).toBe(429);
  });
});

describe('signing up', () => {
  test('when one address creates more accounts than its limit on the web, then 429 and no account', async () => {
    for (let i = 0; i < 4; i++)
      expect((await from('10.5.0.1').register(`web-new-${i}`)).statusCode).toBe(200);
    const reply = await from('10.5.0.1').register('web-new-4');
    expect(reply.statusCode).toBe(429);
    expect(reply.body).toContain('Too many new accounts from your address');
    expect(reply.headers['retry-after']).toBeDefined();
    expect(await findUserByName(t.db, 'web-new-4')).toBeUndefined();
  });

  test('when refused sign-ups (taken names, bad e-mails) are sent, then they do not count', async () => {
    for (let i = 0; i < 10; i++) expect((await from('10.6.0.1').register('', 'x')).statusCode).toBe(200);
    expect((await from('10.6.0.1').register('counted-once')).redirects).toEqual(['/login']);
  });

  test('when one e-mail address is used for more accounts than its limit, then 429', async () => {
    const email = 'same@example.com';
    for (let i = 0; i < 2; i++)
      expect((await from(`10.7.0.${i}`).register(`same-mail-${i}`, 'p', 'p', email)).redirects).toEqual([
        '/login',
      ]);
    expect((await from('10.7.0.9').register('same-mail-2', 'p', 'p', email)).statusCode).toBe(429);
  });

  test('when the API is asked without credentials by one address too often, then 429 JSON with Retry-After', async () => {
    for (let i = 0; i < 4; i++) expect((await apiRegister('10.8.0.1', `api-anon-${i}`)).statusCode).toBe(204);
    const reply = await apiRegister('10.8.0.1', 'api-anon-4');
    expect(reply.statusCode).toBe(429);
    expect(reply.json()).toEqual({
      status: 429,
      error_msg: expect.stringContaining('Too many new accounts'),
    });
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('when the simulator (with its credentials) registers many users from one address, then none is refused', async () => {
    for (let i = 0; i < 12; i++)
      expect(
        (await apiRegister('10.9.0.1', `simulated-${i}`, { authorization: simulatorHeaders.authorization }))
          .statusCode,
      ).toBe(204);
  });
});

describe('latest', () => {
  test('when a request without the simulator’s credentials carries ?latest=, then it is not recorded', async () => {
    await sim(t.api, 'POST', '/register?latest=500', { username: 'sim-latest', email: 's@e', pwd: 'p' });
    expect((await sim(t.api, 'GET', '/latest')).json()).toEqual({ latest: 500 });
    const anonymous = { 'content-type': 'application/json' };
    await sim(
      t.api,
      'POST',
      '/register?latest=666',
      { username: 'anon-latest', email: 'a@e', pwd: 'p' },
      anonymous,
    );
    await sim(t.api, 'GET', '/msgs?latest=667', undefined, anonymous);
    await sim(t.api, 'GET', '/msgs?latest=668', undefined, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' });
    expect((await sim(t.api, 'GET', '/latest')).json()).toEqual({ latest: 500 });
    const rows = await t.db.query('SELECT 1 FROM simulator_latest WHERE action_id IN (666, 667, 668)');
    expect(rows).toHaveLength(0);
  });
});

describe('the client key', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('when the address is %s, then the client counted is %s (an IPv6 client holds a /64)', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});
