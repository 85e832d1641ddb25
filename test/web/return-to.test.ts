// Back where one was after signing in (`?next=`), and never to another site.
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { safeReturnPath } from '../../src/web/return-to.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { newUser, signedInUser } from '../helpers/factory.js';
import { flashes, Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());
afterEach(() => vi.useRealTimers());

/** Ways to name another site, or something that is not a path of ours, in `next`. */
const ELSEWHERE = [
  '//evil.example',
  '/\\evil.example',
  '\\/evil.example',
  'https://evil.example',
  'http:evil.example',
  'javascript:alert(1)',
  '/\t/evil.example',
  '/\n/evil.example',
  ' /public',
  'public',
  '',
  `/${'a'.repeat(2000)}`,
];

describe('which paths are followed', () => {
  test.each(['/', '/public', '/alice', '/a%20b?before=MTIz', '/%2F%2Fevil.example'])(
    'when next is %j, then it is kept as a path of ours',
    (path) => {
      expect(safeReturnPath(path)).toBe(path);
    },
  );

  test.each(ELSEWHERE)('when next is %j, then it is ignored', (next) => {
    expect(safeReturnPath(next)).toBeUndefined();
  });
});

describe('signing in from where one was', () => {
  test('when a signed-out person follows someone, then signing in from the 401 page leads back to that profile', async () => {
    const { username } = await newUser(t.app, { prefix: 'followed' });
    const reader = await newUser(t.app, { prefix: 'reader' });
    const v = new Visitor(t.app);
    const refused = await v.get(`/${username}/follow`);
    expect(refused.statusCode).toBe(401);
    const link = /<a href="([^"]+)">Sign in<\/a>/.exec(refused.body)?.[1]?.replaceAll('&amp;', '&');
    expect(link).toBe(`/login?next=%2F${encodeURIComponent(username)}`);
    const form = await v.get(link!);
    // The form carries it, after the submit (the course's tests fill the first inputs).
    expect(form.body).toMatch(
      new RegExp(
        `<div class=actions><input type=submit value="Sign In"></div>\\s*<input type=hidden name=next value="/${username}">`,
      ),
    );
    const signedIn = await v.post('/login', {
      username: reader.username,
      password: reader.password,
      next: `/${username}`,
    });
    expect(signedIn.redirects).toEqual([`/${username}`]);
    expect(flashes(signedIn.body)).toEqual(['You were logged in']);
    expect(signedIn.body).toContain('You are not yet following this user.');
  });

  test('when the password was wrong first, then the next try still leads back', async () => {
    const reader = await newUser(t.app, { prefix: 'reader' });
    const v = new Visitor(t.app);
    const wrong = await v.post('/login', { username: reader.username, password: 'nope', next: '/public' });
    expect(wrong.body).toContain('<input type=hidden name=next value="/public">');
    const right = await v.post('/login', {
      username: reader.username,
      password: reader.password,
      next: '/public',
    });
    expect(right.redirects).toEqual(['/public']);
  });

  test.each(ELSEWHERE)(
    'when next is %j, then signing in leads to the own timeline, and the form does not carry it',
    async (next) => {
      const reader = await newUser(t.app, { prefix: 'reader' });
      const v = new Visitor(t.app);
      const form = await v.get(`/login?next=${encodeURIComponent(next)}`);
      expect(form.statusCode).toBe(200);
      expect(form.body).not.toContain('name=next');
      const reply = await v.post(
        '/login',
        { username: reader.username, password: reader.password, next },
        {},
        false,
      );
      expect(reply.headers.location).toBe('/');
    },
  );

  test('when the session has ended (signed out on another device), then / asks to sign in again and leads back', async () => {
    const { username, password, visitor: phone } = await signedInUser(t.app, { prefix: 'ended' });
    const laptop = new Visitor(t.app);
    for (const [name, value] of phone.cookies) laptop.cookies.set(name, value);
    await laptop.logout();
    const reply = await phone.get('/', {}, false);
    expect(reply.headers.location).toBe('/login?next=%2F');
    const back = await phone.post('/login', { username, password, next: '/' });
    expect(back.redirects).toEqual(['/']);
    expect(back.body).toContain('<title>My Timeline | MiniTwit</title>');
  });

  test('when the session timed out (unused past the idle timeout), then / asks to sign in again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { visitor } = await signedInUser(t.app, { prefix: 'idle' });
    vi.setSystemTime(Date.now() + 8 * 24 * 3600 * 1000);
    expect((await visitor.get('/', {}, false)).headers.location).toBe('/login?next=%2F');
  });

  test('when nobody was signed in, then / still leads to the public timeline, as in the original', async () => {
    const reply = await new Visitor(t.app).get('/', {}, false);
    expect(reply.headers.location).toBe('/public');
  });

  test('when already signed in, then /login?next= goes straight there', async () => {
    const { visitor } = await signedInUser(t.app, { prefix: 'already' });
    expect((await visitor.get('/login?next=%2Fpublic', {}, false)).headers.location).toBe('/public');
    expect((await visitor.get('/login?next=%2F%2Fevil.example', {}, false)).headers.location).toBe('/');
  });
});
