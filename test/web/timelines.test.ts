// The original MiniTwit's message recording and timeline stories, then following, 401/404, paging.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isFollowing } from '../../src/data/follows.js';
import { findUserIdByName } from '../../src/data/users.js';
import { registry } from '../../src/observability/metrics.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { flashes, Visitor } from '../helpers/web.js';

let t: TestApp;
let foo: Visitor;
let bar: Visitor;
beforeAll(async () => {
  t = await startWeb();
  foo = new Visitor(t.app);
  bar = new Visitor(t.app);
  await foo.registerAndLogin('foo');
  await bar.registerAndLogin('bar');
});
afterAll(() => t.close());

const storedTexts = async (username: string) =>
  (
    await t.db.query<{ text: string }>(
      'SELECT m.text FROM messages m JOIN users u ON u.user_id = m.author_id WHERE u.username = $1 ORDER BY m.message_id',
      [username],
    )
  ).map((row) => row.text);

const businessEvents = async (event: string) => {
  const metric = (await registry.getSingleMetric('minitwit_business_events_total')?.get())?.values ?? [];
  return metric.find((v) => v.labels.event === event && v.labels.source === 'web')?.value ?? 0;
};

describe('message recording', () => {
  test('when foo posts two messages, then both are stored and shown, the second escaped', async () => {
    const before = await businessEvents('message_posted');
    const first = await foo.addMessage('test message 1');
    expect(first.redirects).toEqual(['/']);
    expect(flashes(first.body)).toEqual(['Your message was recorded']);
    await foo.addMessage('<test message 2>');
    const page = await foo.get('/');
    expect(page.body).toContain('test message 1');
    expect(page.body).toContain('&lt;test message 2&gt;');
    expect(page.body).not.toContain('<test message 2>');
    expect(await storedTexts('foo')).toEqual(['test message 1', '<test message 2>']);
    expect(await businessEvents('message_posted')).toBe(before + 2);
  });

  test('when the text is empty, then nothing is stored and there is no flash', async () => {
    const reply = await foo.addMessage('');
    expect(reply.redirects).toEqual(['/']);
    expect(flashes(reply.body)).toEqual([]);
    expect(await storedTexts('foo')).toHaveLength(2);
  });

  test('when the text is longer than 10000 characters or holds NUL, then a 400 page and nothing is stored', async () => {
    for (const text of ['x'.repeat(10001), 'a\u0000b']) {
      const reply = await foo.addMessage(text);
      expect(reply.statusCode).toBe(400);
      expect(reply.body).toContain('<title>Bad Request | MiniTwit</title>');
    }
    expect(await storedTexts('foo')).toHaveLength(2);
  });

  test('when a message is 10000 four-byte characters, then it is stored whole', async () => {
    const text = '😀'.repeat(10000);
    expect((await bar.addMessage(text)).statusCode).toBe(200);
    expect((await storedTexts('bar')).at(-1)).toBe(text);
    await t.db.query('DELETE FROM messages WHERE text = $1', [text]);
  });

  test('when nobody is signed in, then add_message is a 401 page', async () => {
    const reply = await new Visitor(t.app).addMessage('anonymous');
    expect(reply.statusCode).toBe(401);
    expect(reply.body).toContain('<a href="/login">Sign in</a>');
  });
});

describe('timelines', () => {
  test('when foo and bar have posted, then the public timeline shows both, newest first, with avatar and date', async () => {
    await bar.addMessage('the message by bar');
    const reply = await new Visitor(t.app).get('/public');
    expect(reply.body).toContain('<title>Public Timeline | MiniTwit</title>');
    expect(reply.body).toContain('<h2>Public Timeline</h2>');
    expect(reply.body.indexOf('the message by bar')).toBeLessThan(reply.body.indexOf('test message 1'));
    // md5("foo@example.com")
    expect(reply.body).toContain(
      'src="https://www.gravatar.com/avatar/b48def645758b95537d4424c84d1a9ff?d=identicon&amp;s=48"',
    );
    expect(reply.body).toContain('<strong><a href="/foo">foo</a></strong>');
    expect(reply.body).toMatch(/<small>&mdash; \d{4}-\d\d-\d\d @ \d\d:\d\d<\/small>/);
    expect(reply.body).not.toContain('class=twitbox');
  });

  test("when bar looks at the own timeline, then only bar's messages and the twitbox", async () => {
    const reply = await bar.get('/');
    expect(reply.body).toContain('<title>My Timeline | MiniTwit</title>');
    expect(reply.body).toContain("<h3>What's on your mind bar?</h3>");
    expect(reply.body).toContain('the message by bar');
    expect(reply.body).not.toContain('test message 1');
  });

  test('when bar follows foo, then the flash quotes foo, the follow is stored, and / shows both', async () => {
    const before = await businessEvents('followed');
    const reply = await bar.get('/foo/follow');
    expect(reply.redirects).toEqual(['/foo']);
    expect(reply.body).toContain('You are now following &#34;foo&#34;');
    expect(reply.body).toContain('You are currently following this user.');
    expect(reply.body).toMatch(/<a class=unfollow href="\/foo\/unfollow\?token=[\w-]+">Unfollow user<\/a>/);
    const [barId, fooId] = [await findUserIdByName(t.db, 'bar'), await findUserIdByName(t.db, 'foo')];
    expect(await isFollowing(t.db, barId!, fooId!)).toBe(true);
    expect(await businessEvents('followed')).toBe(before + 1);
    await bar.get('/foo/follow');
    expect(await businessEvents('followed')).toBe(before + 1);
    const home = await bar.get('/');
    expect(home.body).toContain('test message 1');
    expect(home.body).toContain('the message by bar');
  });

  test("when looking at a user's page, then only that user's messages and the follow status", async () => {
    const barPage = await bar.get('/bar');
    expect(barPage.body).toContain("<title>bar's Timeline | MiniTwit</title>");
    expect(barPage.body).toContain('This is you!');
    expect(barPage.body).toContain('the message by bar');
    expect(barPage.body).not.toContain('test message 1');
    const fooPage = await foo.get('/bar');
    expect(fooPage.body).toContain('You are not yet following this user.');
    expect(fooPage.body).toMatch(/<a class=follow href="\/bar\/follow\?token=[\w-]+">Follow user<\/a>/);
    const anonymous = await new Visitor(t.app).get('/foo');
    expect(anonymous.body).toContain('test message 1');
    expect(anonymous.body).not.toContain('the message by bar');
    expect(anonymous.body).not.toContain('followstatus');
  });

  test('when bar unfollows foo, then the flash quotes foo and foo disappears from /', async () => {
    const before = await businessEvents('unfollowed');
    const reply = await bar.get('/foo/unfollow');
    expect(reply.body).toContain('You are no longer following &#34;foo&#34;');
    const home = await bar.get('/');
    expect(home.body).not.toContain('test message 1');
    expect(home.body).toContain('the message by bar');
    await bar.get('/foo/unfollow');
    expect(await businessEvents('unfollowed')).toBe(before + 1);
  });

  test('when a message is flagged, then no timeline shows it', async () => {
    await foo.addMessage('a message to flag');
    await t.db.query("UPDATE messages SET flagged = true WHERE text = 'a message to flag'");
    for (const path of ['/', '/public', '/foo'])
      expect((await foo.get(path)).body).not.toContain('a message to flag');
  });

  test('when a user has no messages, then "There\'s no message so far."', async () => {
    const v = new Visitor(t.app);
    await v.registerAndLogin('quiet');
    expect((await v.get('/quiet')).body).toContain("<li><em>There's no message so far.</em>");
  });
});

describe('following errors', () => {
  test('when nobody is signed in, then follow and unfollow are 401 pages', async () => {
    for (const action of ['follow', 'unfollow']) {
      const reply = await new Visitor(t.app).get(`/foo/${action}`);
      expect(reply.statusCode).toBe(401);
      expect(reply.body).toContain('<title>Unauthorized | MiniTwit</title>');
    }
  });

  test('when the user does not exist, then the page, follow and unfollow are 404 pages in the layout', async () => {
    for (const path of ['/nobody', '/nobody/follow', '/nobody/unfollow']) {
      const reply = await bar.get(path);
      expect(reply.statusCode).toBe(404);
      expect(reply.body).toContain('<title>Not Found | MiniTwit</title>');
      expect(reply.body).toContain('sign out [bar]');
    }
  });
});

describe('usernames in paths', () => {
  test.each(["Jürgen O'Brien", 'a/b c', '日本', 'public x', '50% off?'])(
    'when %j has posted and is followed, then the links and pages work',
    async (name) => {
      const v = new Visitor(t.app);
      await v.registerAndLogin(name);
      await v.addMessage(`hello from ${name}`);
      const encoded = `/${encodeURIComponent(name)}`;
      const inHtml = (text: string) => text.replaceAll("'", '&#39;');
      const page = await bar.get(encoded);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`href="${inHtml(encoded)}/follow?token=`);
      const followed = await bar.get(`${encoded}/follow`);
      expect(followed.redirects).toEqual([encoded]);
      expect(followed.body).toContain(`You are now following &#34;${inHtml(name)}&#34;`);
      expect((await bar.get('/')).body).toContain(`<a href="${inHtml(encoded)}">`);
    },
  );

  test('when a username is a fixed route, then the fixed route wins', async () => {
    const v = new Visitor(t.app);
    await v.registerAndLogin('public');
    expect((await v.get('/public')).body).toContain('<h2>Public Timeline</h2>');
  });

  test('when a path holds NUL, then a 400 page, not a 500', async () => {
    expect((await bar.get('/a%00b')).statusCode).toBe(400);
    expect((await bar.get('/a%00b/follow')).statusCode).toBe(400);
  });
});
