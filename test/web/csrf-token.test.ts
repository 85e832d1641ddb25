// CSRF without Fetch Metadata: a browser on plain HTTP sends no Sec-Fetch-* and, following a link, no
// Origin; only its SameSite=Lax session cookie, which a top-level GET carries. So follow, unfollow,
// sign-out and posting carry a per-session token in their links and forms, and a request that looks like
// a browser's is refused without it. Plain HTTP clients (the course's tests) send none and need none.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { isFollowing } from '../../src/data/follows.js';
import { findUserIdByName } from '../../src/data/users.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { newUser } from '../helpers/factory.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb({ LOG_LEVEL: 'silent' });
});
afterAll(() => t.close());
/** The user whose follow link the attacks aim at: each test's own. */
let bob: string;
beforeEach(async () => {
  bob = (await newUser(t.app, { prefix: 'bob' })).username;
});

const MOZILLA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36';
/** The example: a link on another site clicked in a browser talking plain HTTP to MiniTwit. */
const PLAIN_HTTP_BROWSER_FROM_ELSEWHERE = {
  referer: 'http://evil.example/cats.html',
  'upgrade-insecure-requests': '1',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'user-agent': MOZILLA,
};
/** What python-requests sends (the course's HTTP tests): no browser header at all. */
const PYTHON_REQUESTS = { 'user-agent': 'python-requests/2.31.0', accept: '*/*' };

async function signedIn(name: string) {
  const visitor = new Visitor(t.app);
  await visitor.registerAndLogin(name);
  return visitor;
}
const follows = async (who: string, whom: string) =>
  isFollowing(t.db, (await findUserIdByName(t.db, who))!, (await findUserIdByName(t.db, whom))!);
const messages = async (text: string) =>
  (await t.db.query('SELECT 1 FROM messages WHERE text = $1', [text])).length;
const hrefOf = (html: string, className: string) =>
  new RegExp(`<a class=${className} href="([^"]+)"`).exec(html)?.[1]?.replace(/&amp;/g, '&');

describe('refused: a browser on plain HTTP sent by another site, with the victim’s cookie and no token', () => {
  test('when it opens /bob/follow, then 403 and no follow is stored', async () => {
    const victim = await signedIn('victim1');
    const reply = await victim.get(`/${bob}/follow`, PLAIN_HTTP_BROWSER_FROM_ELSEWHERE);
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain('<title>Forbidden | MiniTwit</title>');
    expect(await follows('victim1', bob)).toBe(false);
  });

  test('when it opens /bob/unfollow, then 403 and the follow stays', async () => {
    const victim = await signedIn('victim2');
    await victim.get(hrefOf((await victim.get(`/${bob}`)).body, 'follow')!);
    expect(await follows('victim2', bob)).toBe(true);
    expect((await victim.get(`/${bob}/unfollow`, PLAIN_HTTP_BROWSER_FROM_ELSEWHERE)).statusCode).toBe(403);
    expect(await follows('victim2', bob)).toBe(true);
  });

  test('when it opens /logout, then 403 and the victim stays signed in', async () => {
    const victim = await signedIn('victim3');
    expect((await victim.get('/logout', PLAIN_HTTP_BROWSER_FROM_ELSEWHERE)).statusCode).toBe(403);
    expect((await victim.get('/public')).body).toContain('sign out [victim3]');
  });

  test('when it posts to /add_message with no Origin (an old browser), then 403 and nothing is stored', async () => {
    const victim = await signedIn('victim4');
    const reply = await victim.post(
      '/add_message',
      { text: 'forged-old-browser' },
      PLAIN_HTTP_BROWSER_FROM_ELSEWHERE,
    );
    expect(reply.statusCode).toBe(403);
    expect(await messages('forged-old-browser')).toBe(0);
  });

  test.each([
    ['only a Referer', { referer: 'http://evil.example/' }],
    ['only Upgrade-Insecure-Requests', { 'upgrade-insecure-requests': '1' }],
    ['only an Accept that asks for HTML', { accept: 'text/html' }],
    ['only a browser User-Agent', { 'user-agent': MOZILLA }],
    ['only Sec-Fetch-Mode: navigate', { 'sec-fetch-mode': 'navigate' }],
    ['our own Referer (the token is what proves the link is ours)', { referer: 'http://localhost/public' }],
  ])(
    'when the request carries %s, then it counts as a browser and is refused without the token',
    async (_what, headers) => {
      const victim = await signedIn(
        `victim-${Object.keys(headers)[0]}-${Math.random().toString(36).slice(2, 8)}`,
      );
      expect((await victim.get(`/${bob}/follow`, headers)).statusCode).toBe(403);
    },
  );

  test('when the token of another session is used, then 403', async () => {
    const attacker = await signedIn('attacker');
    const link = hrefOf((await attacker.get(`/${bob}`)).body, 'follow')!;
    const victim = await signedIn('victim5');
    expect((await victim.get(link, PLAIN_HTTP_BROWSER_FROM_ELSEWHERE)).statusCode).toBe(403);
    expect(await follows('victim5', bob)).toBe(false);
  });

  test('when a token from before the last sign-out is used, then 403', async () => {
    const visitor = await signedIn('returning');
    const oldLink = hrefOf((await visitor.get(`/${bob}`)).body, 'follow')!;
    await visitor.logout();
    await visitor.login('returning');
    expect((await visitor.get(oldLink, { 'user-agent': MOZILLA })).statusCode).toBe(403);
  });
});

describe('allowed', () => {
  test('when a signed-in person uses the follow, unfollow and sign-out links of the page, then each works', async () => {
    const person = await signedIn('person');
    const browser = { 'user-agent': MOZILLA, accept: 'text/html', referer: `http://localhost/${bob}` };
    const profile = (await person.get(`/${bob}`, browser)).body;
    const follow = hrefOf(profile, 'follow')!;
    expect(follow).toMatch(new RegExp(`^/${bob}/follow\\?token=[\\w-]{20,}$`));
    expect((await person.get(follow, browser)).statusCode).toBe(200);
    expect(await follows('person', bob)).toBe(true);
    const unfollow = hrefOf((await person.get(`/${bob}`, browser)).body, 'unfollow')!;
    expect((await person.get(unfollow, browser)).statusCode).toBe(200);
    expect(await follows('person', bob)).toBe(false);
    const logout = /<a href="(\/logout\?token=[\w-]+)">sign out/.exec(
      (await person.get('/', browser)).body,
    )?.[1];
    expect(logout).toBeDefined();
    expect((await person.get(logout!, browser)).body).toContain('You were logged out');
  });

  test('when a person posts the twitbox form, then its hidden token (after the submit button) lets it through', async () => {
    const person = await signedIn('poster');
    const page = (await person.get('/')).body;
    const form = /<form action="\/add_message" method=post>([\s\S]*?)<\/form>/.exec(page)![1]!;
    expect(form.indexOf('type=submit')).toBeLessThan(form.indexOf('type=hidden'));
    const token = /name=csrf_token value="([\w-]+)"/.exec(form)![1]!;
    const browser = { origin: 'http://localhost:80', 'user-agent': MOZILLA, referer: 'http://localhost/' };
    const reply = await person.post('/add_message', { text: 'from the form', csrf_token: token }, browser);
    expect(reply.body).toContain('Your message was recorded');
    expect(await messages('from the form')).toBe(1);
  });

  test('when a plain HTTP client (the course’s tests) follows, unfollows, posts and signs out without a token, then all work', async () => {
    const client = new Visitor(t.app, PYTHON_REQUESTS);
    await client.registerAndLogin('course-test');
    expect((await client.get(`/${bob}/follow`)).statusCode).toBe(200);
    expect(await follows('course-test', bob)).toBe(true);
    expect((await client.get(`/${bob}/unfollow`)).statusCode).toBe(200);
    expect(await follows('course-test', bob)).toBe(false);
    expect((await client.addMessage('plain client')).body).toContain('Your message was recorded');
    expect((await client.logout()).body).toContain('You were logged out');
  });

  test('when a browser signs in and signs up (no session yet, so no token), then both work', async () => {
    const browser = new Visitor(t.app, { 'user-agent': MOZILLA, origin: 'http://localhost:80' });
    expect((await browser.register('newcomer')).body).toContain('You were successfully registered');
    expect((await browser.login('newcomer')).body).toContain('You were logged in');
  });
});
