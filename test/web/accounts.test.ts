// The original MiniTwit's register and login/logout stories, plus old Werkzeug hashes and the cookie.
import { pbkdf2Sync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { needsRehash, verifyPassword } from '../../src/passwords.js';
import { findUserByName, insertUser } from '../../src/data/users.js';
import { appsOn, startWeb, type TestApp } from '../helpers/app.js';
import { newUser, uniqueName } from '../helpers/factory.js';
import { flashes, Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

const visitor = () => new Visitor(t.app);

describe('register', () => {
  test('when the form is filled in, then the user is stored with a hashed password and sent to sign in', async () => {
    const username = uniqueName('user1');
    const reply = await visitor().register(username, 'default');
    expect(reply.redirects).toEqual(['/login']);
    expect(flashes(reply.body)).toEqual(['You were successfully registered and can login now']);
    expect(reply.body).toContain('<title>Sign In | MiniTwit</title>');
    const user = await findUserByName(t.db, username);
    expect(user?.email).toBe(`${username}@example.com`);
    expect(await verifyPassword('default', user!.pwHash)).toBe(true);
    expect(needsRehash(user!.pwHash)).toBe(false);
  });

  test.each([
    [['', 'default'], 'username', 'You have to enter a username'],
    [['meh', ''], 'password', 'You have to enter a password'],
    [['meh', 'x', 'y'], 'password2', 'The two passwords do not match'],
    [['meh', 'foo', 'foo', 'broken'], 'email', 'You have to enter a valid email address'],
    [['meh', 'foo', 'foo', ''], 'email', 'You have to enter a valid email address'],
    [['', '', 'x', 'broken'], 'username', 'You have to enter a username'],
    [['meh', '', 'x', 'broken'], 'email', 'You have to enter a valid email address'],
    [['meh', '', 'x'], 'password', 'You have to enter a password'],
  ] as const)(
    'when registering with %j, then the page says beside %s "%s" and nothing is stored',
    async (args, field, error) => {
      const [username, password, password2, email] = args;
      const reply = await visitor().register(username, password, password2, email);
      expect(reply.statusCode).toBe(200);
      expect(reply.redirects).toEqual([]);
      // The original's words, in the original's `div.error`, right after the field they concern.
      expect(reply.body).toMatch(
        new RegExp(
          `<input [^>]*name=${field} [^>]*aria-invalid=true aria-describedby="${field}-error[^"]*"[^>]*>\\s*` +
            `<div class=error id="${field}-error"><strong>Error:</strong> ${error}</div>`,
        ),
      );
      expect(await findUserByName(t.db, 'meh')).toBeUndefined();
    },
  );

  test('when several fields are wrong, then each says so beside it at once, and the first takes the focus', async () => {
    const reply = await visitor().register('', '', 'x', 'broken');
    const errors = [
      ...reply.body.matchAll(/<div class=error id="(\w+)-error"><strong>Error:<\/strong> ([^<]+)<\/div>/g),
    ];
    expect(errors.map((m) => [m[1], m[2]])).toEqual([
      ['username', 'You have to enter a username'],
      ['email', 'You have to enter a valid email address'],
      ['password', 'You have to enter a password'],
    ]);
    const inputs = [...reply.body.matchAll(/<input ([^>]*)>/g)].map((m) => m[1]!);
    expect(inputs.filter((attrs) => attrs.includes('aria-invalid=true'))).toHaveLength(3);
    expect(inputs.filter((attrs) => attrs.includes('autofocus'))).toEqual([
      expect.stringContaining('name=username'),
    ]);
    // The password's hint stays tied to it, after its error.
    expect(inputs[2]).toContain('aria-describedby="password-error password-hint"');
    expect(inputs[3]).not.toContain('aria-invalid');
  });

  test('when the name itself is not allowed and the passwords differ, then both are said at once', async () => {
    const reply = await visitor().register(' spaced', 'x', 'y');
    expect(reply.body).toContain(
      '<div class=error id="username-error"><strong>Error:</strong> The username may not begin or end with a space</div>',
    );
    expect(reply.body).toContain(
      '<div class=error id="password2-error"><strong>Error:</strong> The two passwords do not match</div>',
    );
  });

  test('when the username is taken, then the page says so and the first user is kept', async () => {
    const first = await newUser(t.app, { prefix: 'user1' });
    const reply = await visitor().register(first.username, 'another', 'another', 'other@example.com');
    expect(reply.redirects).toEqual([]);
    expect(reply.body).toContain(
      '<div class=error id="username-error"><strong>Error:</strong> The username is already taken</div>',
    );
    expect((await findUserByName(t.db, first.username))?.email).toBe(first.email);
  });

  test('when a field is missing from the post, then it counts as empty', async () => {
    const reply = await visitor().post('/register', { username: 'nofields' });
    expect(reply.body).toContain('You have to enter a valid email address');
  });

  test('when the form is refused, then the username and e-mail typed stay filled in, escaped', async () => {
    const reply = await visitor().register('"quoted"', 'x', 'y', '"q"@example.com');
    expect(reply.body).toContain('name=username size=30 value="&#34;quoted&#34;"');
    expect(reply.body).toContain('name=email size=30 value="&#34;q&#34;@example.com"');
  });

  test('when a username holds a control character, then a 400 page and nothing is stored', async () => {
    const reply = await visitor().register('bad\u0000name');
    expect(reply.statusCode).toBe(400);
    expect(reply.body).toContain('must not contain control characters');
    expect(reply.body).toContain('<title>Bad Request | MiniTwit</title>');
  });
});

describe('login and logout', () => {
  test('when a registered user signs in and out, then "You were logged in" and "You were logged out"', async () => {
    const v = visitor();
    const username = uniqueName('user2');
    const login = await v.registerAndLogin(username, 'default');
    expect(login.redirects).toEqual(['/']);
    expect(flashes(login.body)).toEqual(['You were logged in']);
    expect(login.body).toContain(`sign out [${username}]`);
    const logout = await v.logout();
    expect(logout.redirects).toEqual(['/public']);
    expect(flashes(logout.body)).toEqual(['You were logged out']);
    expect(logout.body).toContain('<a href="/login">sign in</a>');
    expect((await v.get('/')).redirects).toEqual(['/public']);
  });

  test('when the password is wrong, then "Invalid password" on the sign-in page, with the name kept', async () => {
    const { username } = await newUser(t.app, { prefix: 'user2' });
    const reply = await visitor().login(username, 'wrongpassword');
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatch(
      /name=password [^>]*aria-invalid=true aria-describedby="password-error" autofocus>\s*<div class=error id="password-error"><strong>Error:<\/strong> Invalid password<\/div>/,
    );
    expect(reply.body).toContain(`value="${username}"`);
    expect(reply.body).not.toMatch(/name=username [^>]*aria-invalid/);
  });

  test('when the user does not exist, then "Invalid username"', async () => {
    const reply = await visitor().login('nobody', 'wrongpassword');
    expect(reply.body).toMatch(
      /name=username [^>]*aria-invalid=true aria-describedby="username-error" autofocus>\s*<div class=error id="username-error"><strong>Error:<\/strong> Invalid username<\/div>/,
    );
  });

  test('when signed in, then /login and /register redirect to the timeline', async () => {
    const { username } = await newUser(t.app, { prefix: 'user2' });
    const v = visitor();
    expect((await v.login(username)).redirects).toEqual(['/']);
    for (const path of ['/login', '/register']) {
      expect((await v.get(path, {}, false)).headers.location).toBe('/');
      expect((await v.post(path, { username: 'x', password: 'y' }, {}, false)).headers.location).toBe('/');
    }
  });

  test('when a user from the original database signs in with a Werkzeug pbkdf2 hash, then it works and is rehashed', async () => {
    const salt = 'pVb1sV0QTlMy4ABZ';
    const key = pbkdf2Sync('old secret', Buffer.from(salt, 'utf8'), 1000, 32, 'sha256').toString('hex');
    const olduser = uniqueName('olduser');
    await insertUser(t.db, {
      username: olduser,
      email: 'old@example.com',
      pwHash: `pbkdf2:sha256:1000$${salt}$${key}`,
    });
    expect((await visitor().login(olduser, 'wrong')).body).toContain('Invalid password');
    expect((await findUserByName(t.db, olduser))?.pwHash).toMatch(/^pbkdf2:/);
    const reply = await visitor().login(olduser, 'old secret');
    expect(flashes(reply.body)).toEqual(['You were logged in']);
    const rehashed = (await findUserByName(t.db, olduser))!.pwHash;
    expect(rehashed).not.toMatch(/^pbkdf2:/);
    expect(needsRehash(rehashed)).toBe(false);
    expect(flashes((await visitor().login(olduser, 'old secret')).body)).toEqual(['You were logged in']);
  });
});

describe('the session cookie', () => {
  test('when signing in, then the cookie holds the signed user id, HttpOnly, SameSite=Lax, not Secure over HTTP', async () => {
    const { username, password } = await newUser(t.app, { prefix: 'user2' });
    const reply = await visitor().post('/login', { username, password }, {}, false);
    const session = reply.cookies.find((cookie) => cookie.name === 'session');
    const user = await findUserByName(t.db, username);
    // user id, session version, issued and last seen (epoch seconds), the session's random id; signature
    expect(session?.value).toMatch(
      new RegExp(`^${user?.userId}\\.\\d+\\.\\d+\\.\\d+\\.[\\w-]{22}\\.[\\w+/=-]+$`),
    );
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session?.secure).toBeUndefined();
  });

  test('when the request came over HTTPS through a trusted proxy, then the cookie is Secure', async () => {
    const proxied = await appsOn(t, { TRUST_PROXY: '127.0.0.1' });
    try {
      const { username, password } = await newUser(proxied.web, { prefix: 'https-user' });
      const reply = await new Visitor(proxied.web, { 'x-forwarded-proto': 'https' }).post(
        '/login',
        { username, password },
        {},
        false,
      );
      expect(reply.cookies.find((cookie) => cookie.name === 'session')?.secure).toBe(true);
    } finally {
      await proxied.close();
    }
  });

  test('when the cookie is tampered with, then the visitor is signed out', async () => {
    const { username } = await newUser(t.app, { prefix: 'user2' });
    const other = await findUserByName(t.db, (await newUser(t.app, { prefix: 'user1' })).username);
    const v = visitor();
    expect((await v.login(username)).redirects).toEqual(['/']);
    const [id, signature] = decodeURIComponent(v.cookies.get('session')!).split('.');
    v.cookies.set('session', encodeURIComponent(`${other!.userId}.${signature}`));
    expect((await v.get('/')).redirects).toEqual(['/public']);
    v.cookies.set('session', String(id));
    expect((await v.get('/')).redirects).toEqual(['/public']);
  });

  test('when the signed-in user no longer exists, then the visitor is signed out', async () => {
    const v = visitor();
    const username = uniqueName('shortlived');
    await v.registerAndLogin(username);
    await t.db.query('DELETE FROM users WHERE username = $1', [username]);
    const reply = await v.get('/');
    expect(reply.redirects).toEqual(['/public']);
    expect(reply.body).toContain('<a href="/login">sign in</a>');
  });
});
