// Cross-site request forgery: what a browser says about a request's origin decides; plain clients pass.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isFollowing } from '../../src/data/follows.js';
import { findUserIdByName } from '../../src/data/users.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { newUser, signedInUser, uniqueName } from '../helpers/factory.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

/** Alice, signed in, and Bob (a username): each test's own. */
async function aliceAndBob() {
  const { username: aliceName, visitor: alice } = await signedInUser(t.app, { prefix: 'alice' });
  const bob = (await newUser(t.app, { prefix: 'bob' })).username;
  const [aliceId, bobId] = [await findUserIdByName(t.db, aliceName), await findUserIdByName(t.db, bob)];
  const aliceFollowsBob = () => isFollowing(t.db, aliceId!, bobId!);
  const aliceMessages = async () =>
    (
      await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE author_id = $1', [
        aliceId,
      ])
    )[0]!.n;
  return { alice, aliceName, bob, aliceFollowsBob, aliceMessages };
}

// What a browser sends for a click on our own page, from another site, or from outside any page.
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' };
const CROSS_SITE = { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' };
const SAME_SITE = { 'sec-fetch-site': 'same-site', origin: 'http://other.localhost' };
const NAVIGATION_FROM_ELSEWHERE = { 'sec-fetch-site': 'cross-site' };
const TYPED_OR_FROM_AN_APP = { 'sec-fetch-site': 'none' };

describe('refused: another site makes a signed-in browser change something', () => {
  test.each([
    ['a cross-site form post', CROSS_SITE],
    ['a same-site (sibling subdomain) form post', SAME_SITE],
    ['an old browser posting from another origin', { origin: 'https://evil.example' }],
    ['an old browser posting from an opaque origin', { origin: 'null' }],
    ['an old browser posting from our host over another scheme', { origin: 'https://localhost:80' }],
  ])('when %s goes to /add_message, then 403 and nothing is stored', async (_name, headers) => {
    const { alice, aliceMessages } = await aliceAndBob();
    const reply = await alice.post('/add_message', { text: 'forged' }, headers);
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain('<title>Forbidden | MiniTwit</title>');
    expect(reply.body).toContain('MiniTwit refused this request because');
    expect(await aliceMessages()).toBe(0);
  });

  test.each([
    ['a top-level navigation from another site', NAVIGATION_FROM_ELSEWHERE],
    ['a link opened from outside any page (mail, chat, address bar)', TYPED_OR_FROM_AN_APP],
  ])('when %s goes to /bob/follow, then 403 and no follow is stored', async (_name, headers) => {
    const { alice, bob, aliceFollowsBob } = await aliceAndBob();
    const reply = await alice.get(`/${bob}/follow`, headers);
    expect(reply.statusCode).toBe(403);
    expect(await aliceFollowsBob()).toBe(false);
  });

  test('when another site links to /logout, then the visitor stays signed in', async () => {
    const { alice, aliceName } = await aliceAndBob();
    expect((await alice.get('/logout', NAVIGATION_FROM_ELSEWHERE)).statusCode).toBe(403);
    expect((await alice.get('/')).body).toContain(`sign out [${aliceName}]`);
  });

  test('when another site posts a login form (login CSRF), then 403 and no session cookie', async () => {
    const { username, password } = await newUser(t.app, { prefix: 'bob' });
    const reply = await new Visitor(t.app).post('/login', { username, password }, CROSS_SITE, false);
    expect(reply.statusCode).toBe(403);
    expect(reply.cookies.find((cookie) => cookie.name === 'session')).toBeUndefined();
  });

  test('when another site posts the register form, then 403 and no user is stored', async () => {
    const username = uniqueName('forged');
    const reply = await new Visitor(t.app).post(
      '/register',
      { username, email: 'f@x.y', password: 'x', password2: 'x' },
      CROSS_SITE,
    );
    expect(reply.statusCode).toBe(403);
    expect(await findUserIdByName(t.db, username)).toBeUndefined();
    // The same form from no other site registers.
    expect((await new Visitor(t.app).register(username, 'x', 'x', 'f@x.y')).redirects).toEqual(['/login']);
  });
});

/** The session's CSRF token, as our pages put it in their links and forms (csrf-token.test.ts). */
const token = async (alice: Visitor) =>
  /name=csrf_token value="([\w-]+)"/.exec((await alice.get('/')).body)![1]!;

describe('allowed', () => {
  test('when our own page posts a message, then it is stored', async () => {
    const { alice, aliceMessages } = await aliceAndBob();
    const form = { text: 'from our page', csrf_token: await token(alice) };
    expect((await alice.post('/add_message', form, SAME_ORIGIN)).statusCode).toBe(200);
    expect(await aliceMessages()).toBe(1);
  });

  test('when an old browser posts from our own origin, then it is stored', async () => {
    const { alice, aliceMessages } = await aliceAndBob();
    const form = { text: 'old browser', csrf_token: await token(alice) };
    await alice.post('/add_message', form, { origin: 'http://localhost:80' });
    expect(await aliceMessages()).toBe(1);
  });

  test('when our own page links to follow and unfollow, then both happen', async () => {
    const { alice, bob, aliceFollowsBob } = await aliceAndBob();
    const query = `?token=${await token(alice)}`;
    expect((await alice.get(`/${bob}/follow${query}`, SAME_ORIGIN)).statusCode).toBe(200);
    expect(await aliceFollowsBob()).toBe(true);
    expect((await alice.get(`/${bob}/unfollow${query}`, SAME_ORIGIN)).statusCode).toBe(200);
    expect(await aliceFollowsBob()).toBe(false);
  });

  test('when a client sends neither Sec-Fetch-Site nor Origin (the course tests, curl), then it is allowed', async () => {
    const { alice, bob, aliceFollowsBob } = await aliceAndBob();
    await alice.get(`/${bob}/follow`);
    expect(await aliceFollowsBob()).toBe(true);
    await alice.get(`/${bob}/unfollow`);
    expect(await aliceFollowsBob()).toBe(false);
  });

  test('when a person submits a form with Sec-Fetch-Site: none, then the POST is allowed', async () => {
    const { username, password } = await newUser(t.app, { prefix: 'bob' });
    const reply = await new Visitor(t.app).post('/login', { username, password }, TYPED_OR_FROM_AN_APP);
    expect(reply.body).toContain('You were logged in');
  });

  test('when another site merely links to a page, then it is shown', async () => {
    const { alice, bob } = await aliceAndBob();
    for (const path of ['/public', `/${bob}`, '/login', '/register'])
      expect((await alice.get(path, NAVIGATION_FROM_ELSEWHERE)).statusCode).toBe(200);
  });
});
