import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findUserByName } from '../../src/data/users.js';
import { startApi, type TestApp } from '../helpers/app.js';
import { newUser, uniqueName } from '../helpers/factory.js';
import { register, sim } from '../helpers/simulator.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApi();
});
afterAll(() => t.close());

const latest = async () =>
  (await t.app.inject({ method: 'GET', url: '/latest' })).json<{ latest: number }>().latest;

describe('POST /register', () => {
  test('when the fields are good, then 204 with an empty body and the user is stored with a hashed password', async () => {
    const username = uniqueName('Roger Histand');
    const reply = await sim(t.app, 'POST', '/register', {
      username,
      email: 'r+h@hotmail.com',
      pwd: `]=)[X{Km{z'"\\`,
    });
    expect(reply.statusCode).toBe(204);
    expect(reply.body).toBe('');
    const user = await findUserByName(t.db, username);
    expect(user?.email).toBe('r+h@hotmail.com');
    expect(user?.pwHash).toMatch(/^\$argon2id\$/);
    expect(user?.pwHash).not.toContain(`]=)[X{Km{z`);
  });

  test('when no Authorization header is sent, then it still registers (as the reference)', async () => {
    const reply = await sim(
      t.app,
      'POST',
      '/register',
      { username: uniqueName('no-auth'), email: 'a@b.c', pwd: 'p' },
      {
        'content-type': 'application/json',
      },
    );
    expect(reply.statusCode).toBe(204);
  });

  test.each([
    [{ username: '', email: 'a@b', pwd: 'x' }, 'You have to enter a username'],
    [{ email: 'a@b', pwd: 'x' }, 'You have to enter a username'],
    [{ username: 'u1', email: 'no-at-sign', pwd: 'x' }, 'You have to enter a valid email address'],
    [{ username: 'u1', email: '', pwd: 'x' }, 'You have to enter a valid email address'],
    [{ username: 'u1', email: 'a@b', pwd: '' }, 'You have to enter a password'],
  ])('when the body is %j, then 400 "%s"', async (body, message) => {
    const reply = await sim(t.app, 'POST', '/register', body);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toEqual({ status: 400, error_msg: message });
  });

  test('when the username is taken, then 400 "The username is already taken"', async () => {
    const { username } = await newUser(t.app, { prefix: 'Roger Histand' });
    const reply = await sim(t.app, 'POST', '/register', { username, email: 'a@b', pwd: 'x' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toEqual({ status: 400, error_msg: 'The username is already taken' });
  });

  test('when the email is as short as the original allows ("a@"), then it registers', async () => {
    const reply = await sim(t.app, 'POST', '/register', {
      username: uniqueName('short-mail'),
      email: 'a@',
      pwd: 'x',
    });
    expect(reply.statusCode).toBe(204);
  });

  test('when usernames hold any printable Unicode, then they are accepted and round-trip', async () => {
    const names = ["Zoë O'Brien", '李小龙', 'emoji 🐦 bird', 'plus+percent%'].map((prefix) =>
      uniqueName(prefix),
    );
    // The longest a username may be.
    names.push(uniqueName('x').padEnd(100, 'x'));
    for (const name of names) {
      await register(t.app, name);
      expect((await findUserByName(t.db, name))?.username).toBe(name);
    }
  });

  test('when the same new username registers twice at once, then exactly one wins', async () => {
    const body = { username: uniqueName('race'), email: 'r@ce', pwd: 'x' };
    const replies = await Promise.all([1, 2, 3].map(() => sim(t.app, 'POST', '/register', body)));
    expect(replies.map((r) => r.statusCode).sort()).toEqual([204, 400, 400]);
  });
});

describe('GET /latest', () => {
  // One database for the file, so one stored value: each test sets its own before it reads.
  test('when requests carry latest=<id>, then /latest returns the most recent one, even if the request failed', async () => {
    const l1 = uniqueName('l1');
    await sim(t.app, 'POST', '/register?latest=7', { username: l1, email: 'l@1', pwd: 'x' });
    expect(await latest()).toBe(7);
    // A failing register (taken) still records latest first.
    await sim(t.app, 'POST', '/register?latest=8', { username: l1, email: 'l@1', pwd: 'x' });
    expect(await latest()).toBe(8);
    // So does one with a malformed body; but not one without the simulator's credentials (anyone could
    // otherwise set what the simulator reads back: test/abuse-limits.test.ts).
    await sim(t.app, 'GET', '/msgs?latest=9', undefined, {});
    expect(await latest()).toBe(8);
    await sim(t.app, 'POST', `/msgs/${l1}?latest=10`, '{not json');
    expect(await latest()).toBe(10);
  });

  test('when a request has no latest, then the stored value is unchanged', async () => {
    await sim(t.app, 'GET', '/msgs?latest=31');
    await sim(t.app, 'GET', '/msgs');
    expect(await latest()).toBe(31);
  });

  test('when latest is not an integer, then 400 and nothing is recorded', async () => {
    await sim(t.app, 'GET', '/msgs?latest=41');
    for (const bad of ['abc', '1.5', '', '99999999999999999999']) {
      const reply = await sim(t.app, 'GET', `/msgs?latest=${bad}`);
      expect(reply.statusCode, bad).toBe(400);
      expect(reply.json<{ error_msg: string }>().error_msg).toMatch(/latest/);
    }
    expect(await latest()).toBe(41);
  });

  test('when many records pile up, then pruning keeps only the newest and /latest is unchanged', async () => {
    for (let i = 51; i <= 60; i++) await sim(t.app, 'GET', `/msgs?latest=${i}`);
    const { pruneLatest } = await import('../../src/data/simulator.js');
    expect(await pruneLatest(t.db)).toBeGreaterThanOrEqual(9);
    const rows = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM simulator_latest');
    expect(rows[0]?.n).toBe(1);
    expect(await latest()).toBe(60);
  });
});
