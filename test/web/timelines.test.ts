// The original MiniTwit's message recording and timeline stories, then following, 401/404, paging.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isFollowing } from '../../src/data/follows.js';
import { findUserIdByName } from '../../src/data/users.js';
import { registry } from '../../src/observability/metrics.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/factory.js';
import { flashes, Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

/** A new user, signed in: each test has its own foo and bar, so none leans on another's messages. */
const signedIn = (prefix: string) => signedInUser(t.app, { prefix });
/** The composer's textarea start tag. */
const composerField = (html: string) => /<textarea ([^>]*)>/.exec(html)?.[1];
/** The text in the composer as a browser reads it: the one newline after the tag dropped, entities decoded. */
const draftIn = (html: string) =>
  /<textarea [^>]*>\n([^<]*)<\/textarea>/
    .exec(html)?.[1]
    ?.replace(
      /&(lt|gt|amp|#34|#39);/g,
      (_, name: string) => ({ lt: '<', gt: '>', amp: '&', '#34': '"', '#39': "'" })[name]!,
    );
const inHtml = (text: string) => text.replaceAll("'", '&#39;').replaceAll('"', '&#34;');

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
    const foo = await signedIn('foo');
    const before = await businessEvents('message_posted');
    const first = await foo.visitor.addMessage('test message 1');
    expect(first.redirects).toEqual(['/']);
    expect(flashes(first.body)).toEqual(['Your message was recorded']);
    await foo.visitor.addMessage('<test message 2>');
    const page = await foo.visitor.get('/');
    expect(page.body).toContain('test message 1');
    expect(page.body).toContain('&lt;test message 2&gt;');
    expect(page.body).not.toContain('<test message 2>');
    expect(await storedTexts(foo.username)).toEqual(['test message 1', '<test message 2>']);
    expect(await businessEvents('message_posted')).toBe(before + 2);
  });

  test('when the text is empty, then nothing is stored, no flash, and the composer says why beside it', async () => {
    const foo = await signedIn('foo');
    const reply = await foo.visitor.addMessage('');
    expect(reply.statusCode).toBe(400);
    expect(reply.redirects).toEqual([]);
    expect(flashes(reply.body)).toEqual([]);
    expect(composerField(reply.body)).toContain(
      'aria-invalid=true aria-describedby="text-error text-limit" autofocus',
    );
    expect(reply.body).toContain(
      '<div class=error id="text-error"><strong>Error:</strong> Your message is empty: write something to share.</div>',
    );
    expect(await storedTexts(foo.username)).toEqual([]);
  });

  test('when the text is longer than 10000 characters, then nothing is stored and the draft comes back whole, every character as sent', async () => {
    const foo = await signedIn('foo');
    // A first newline (which an HTML parser drops right after <textarea>), CRLF, markup, entities, quotes,
    // a closing tag, four-byte characters, spaces at the end.
    const tricky = '\nline one\r\n<b>&amp; "q" \'s\' </textarea><script>x</script> 😀 \u202eabc ';
    const text = tricky + 'x'.repeat(10001 - [...tricky].length) + tricky;
    const reply = await foo.visitor.addMessage(text);
    expect(reply.statusCode).toBe(400);
    expect(draftIn(reply.body)).toBe(text);
    expect(reply.body).toContain(
      `<strong>Error:</strong> Your message is ${[...text].length.toLocaleString('en')} characters long: the limit is 10,000.`,
    );
    expect(reply.body).not.toContain('<script>x</script>');
    expect(await storedTexts(foo.username)).toEqual([]);
  });

  test('when the text holds NUL, then a 400 page and nothing is stored', async () => {
    const foo = await signedIn('foo');
    const reply = await foo.visitor.addMessage('a\u0000b');
    expect(reply.statusCode).toBe(400);
    expect(reply.body).toContain('<title>Bad Request | MiniTwit</title>');
    expect(await storedTexts(foo.username)).toEqual([]);
  });

  test('when a message is 10000 four-byte characters, then it is stored whole', async () => {
    const bar = await signedIn('bar');
    const text = '😀'.repeat(10000);
    expect((await bar.visitor.addMessage(text)).statusCode).toBe(200);
    expect(await storedTexts(bar.username)).toEqual([text]);
  });

  test('when the session has ended before a post, then a 401 sign-in page holds the message, and signing in there shares it', async () => {
    const foo = await signedIn('foo');
    const laptop = new Visitor(t.app);
    for (const [name, value] of foo.visitor.cookies) laptop.cookies.set(name, value);
    await laptop.logout(); // signs out everywhere: the session foo writes in has ended
    const draft = '\nwritten while the session ended: <b>&amp;</b> "q" 😀 ';
    const refused = await foo.visitor.addMessage(draft);
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('<title>Sign In | MiniTwit</title>');
    expect(refused.body).toContain('You have to sign in to do that. Your message is kept below');
    expect(draftIn(refused.body)).toBe(draft);
    expect(refused.body).toContain('<input type=hidden name=next value="/">');
    expect(await storedTexts(foo.username)).toEqual([]);
    // The form as a browser sends it: the fields, the message, where to go.
    const wrong = await foo.visitor.post('/login', {
      username: foo.username,
      password: 'wrong',
      text: draft,
      next: '/',
    });
    expect(draftIn(wrong.body)).toBe(draft);
    const reply = await foo.visitor.post('/login', {
      username: foo.username,
      password: foo.password,
      text: draft,
      next: '/',
    });
    expect(reply.redirects).toEqual(['/']);
    expect(flashes(reply.body)).toEqual(['You were logged in', 'Your message was recorded']);
    expect(await storedTexts(foo.username)).toEqual([draft]);
  });

  test('when nobody is signed in, then add_message is a 401 page', async () => {
    const reply = await new Visitor(t.app).addMessage('anonymous');
    expect(reply.statusCode).toBe(401);
    expect(await t.db.query("SELECT 1 FROM messages WHERE text = 'anonymous'")).toEqual([]);
  });
});

describe('timelines', () => {
  /** foo and bar, each with a message posted, foo's first. */
  async function fooAndBarHavePosted() {
    const [foo, bar] = [await signedIn('foo'), await signedIn('bar')];
    const fooSays = `test message by ${foo.username}`;
    const barSays = `the message by ${bar.username}`;
    await foo.visitor.addMessage(fooSays);
    await bar.visitor.addMessage(barSays);
    return { foo, bar, fooSays, barSays };
  }

  test('when foo and bar have posted, then the public timeline shows both, newest first, with avatar and date', async () => {
    const { foo, fooSays, barSays } = await fooAndBarHavePosted();
    const reply = await new Visitor(t.app).get('/public');
    expect(reply.body).toContain('<title>Public Timeline | MiniTwit</title>');
    expect(reply.body).toContain('<h2>Public Timeline</h2>');
    expect(reply.body.indexOf(fooSays)).toBeGreaterThan(-1);
    expect(reply.body.indexOf(barSays)).toBeLessThan(reply.body.indexOf(fooSays));
    const avatar = `/static/avatars/${createHash('sha256').update(foo.username).digest('hex').slice(0, 20)}.svg`;
    expect(reply.body).toContain(`<img src="${avatar}" alt="" width=48 height=48>`);
    expect(reply.body).toContain(`<strong><a href="/${foo.username}">${foo.username}</a></strong>`);
    expect(reply.body).toMatch(
      /<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC"><small>&mdash; \d{4}-\d\d-\d\d @ \d\d:\d\d<\/small><\/time>/,
    );
    const image = await new Visitor(t.app).get(avatar);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/svg+xml');
    expect(image.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(image.body).toMatch(/^<svg [^>]*width="48" height="48"/);
    expect(reply.body).not.toContain('class=twitbox');
  });

  test("when bar looks at the own timeline, then only bar's messages and the twitbox", async () => {
    const { bar, fooSays, barSays } = await fooAndBarHavePosted();
    const reply = await bar.visitor.get('/');
    expect(reply.body).toContain('<title>My Timeline | MiniTwit</title>');
    expect(reply.body).toContain(`<h3><label for=text>What's on your mind ${bar.username}?</label></h3>`);
    expect(reply.body).toMatch(
      /<textarea id=text name=text rows=3 cols=60 maxlength=10000 required\s+aria-describedby=text-limit>\n<\/textarea>/,
    );
    expect(reply.body).toContain(barSays);
    expect(reply.body).not.toContain(fooSays);
  });

  test('when bar follows foo, then the flash quotes foo, the follow is stored, and / shows both', async () => {
    const { foo, bar, fooSays, barSays } = await fooAndBarHavePosted();
    const before = await businessEvents('followed');
    const reply = await bar.visitor.get(`/${foo.username}/follow`);
    expect(reply.redirects).toEqual([`/${foo.username}`]);
    expect(reply.body).toContain(`You are now following &#34;${foo.username}&#34;`);
    expect(reply.body).toContain('You are currently following this user.');
    expect(reply.body).toMatch(
      new RegExp(`<a class=unfollow href="/${foo.username}/unfollow\\?token=[\\w-]+">Unfollow user</a>`),
    );
    const [barId, fooId] = [
      await findUserIdByName(t.db, bar.username),
      await findUserIdByName(t.db, foo.username),
    ];
    expect(await isFollowing(t.db, barId!, fooId!)).toBe(true);
    expect(await businessEvents('followed')).toBe(before + 1);
    await bar.visitor.get(`/${foo.username}/follow`);
    expect(await businessEvents('followed')).toBe(before + 1);
    const home = await bar.visitor.get('/');
    expect(home.body).toContain(fooSays);
    expect(home.body).toContain(barSays);
  });

  test("when looking at a user's page, then only that user's messages and the follow status", async () => {
    const { foo, bar, fooSays, barSays } = await fooAndBarHavePosted();
    const barPage = await bar.visitor.get(`/${bar.username}`);
    expect(barPage.body).toContain(`<title>${bar.username}'s Timeline | MiniTwit</title>`);
    expect(barPage.body).toContain('This is you!');
    expect(barPage.body).toContain(barSays);
    expect(barPage.body).not.toContain(fooSays);
    const fooPage = await foo.visitor.get(`/${bar.username}`);
    expect(fooPage.body).toContain('You are not yet following this user.');
    expect(fooPage.body).toMatch(
      new RegExp(`<a class=follow href="/${bar.username}/follow\\?token=[\\w-]+">Follow user</a>`),
    );
    const anonymous = await new Visitor(t.app).get(`/${foo.username}`);
    expect(anonymous.body).toContain(fooSays);
    expect(anonymous.body).not.toContain(barSays);
    expect(anonymous.body).not.toContain('followstatus');
  });

  test('when bar unfollows foo, then the flash quotes foo and foo disappears from /', async () => {
    const { foo, bar, fooSays, barSays } = await fooAndBarHavePosted();
    await bar.visitor.get(`/${foo.username}/follow`);
    expect((await bar.visitor.get('/')).body).toContain(fooSays);
    const before = await businessEvents('unfollowed');
    const reply = await bar.visitor.get(`/${foo.username}/unfollow`);
    expect(reply.body).toContain(`You are no longer following &#34;${foo.username}&#34;`);
    const home = await bar.visitor.get('/');
    expect(home.body).not.toContain(fooSays);
    expect(home.body).toContain(barSays);
    await bar.visitor.get(`/${foo.username}/unfollow`);
    expect(await businessEvents('unfollowed')).toBe(before + 1);
  });

  test('when a message is flagged, then no timeline shows it', async () => {
    const foo = await signedIn('foo');
    await foo.visitor.addMessage('a message to flag');
    await foo.visitor.addMessage('a message to keep');
    await t.db.query("UPDATE messages SET flagged = true WHERE text = 'a message to flag'");
    for (const path of ['/', '/public', `/${foo.username}`]) {
      const page = (await foo.visitor.get(path)).body;
      expect(page).toContain('a message to keep');
      expect(page).not.toContain('a message to flag');
    }
  });

  test('when a user has no messages, then "There\'s no message so far."', async () => {
    const quiet = await signedIn('quiet');
    expect((await quiet.visitor.get(`/${quiet.username}`)).body).toContain(
      "<li><em>There's no message so far.</em>",
    );
  });
});

describe('following errors', () => {
  test('when nobody is signed in, then follow and unfollow are 401 pages', async () => {
    const foo = await signedIn('foo');
    for (const action of ['follow', 'unfollow']) {
      const reply = await new Visitor(t.app).get(`/${foo.username}/${action}`);
      expect(reply.statusCode).toBe(401);
      expect(reply.body).toContain('<title>Unauthorized | MiniTwit</title>');
    }
  });

  test('when the user does not exist, then the page, follow and unfollow are 404 pages in the layout', async () => {
    const bar = await signedIn('bar');
    for (const path of ['/nobody', '/nobody/follow', '/nobody/unfollow']) {
      const reply = await bar.visitor.get(path);
      expect(reply.statusCode).toBe(404);
      expect(reply.body).toContain('<title>Not Found | MiniTwit</title>');
      expect(reply.body).toContain(`sign out [${bar.username}]`);
    }
  });
});

describe('usernames in paths', () => {
  test.each(["Jürgen O'Brien", 'a/b c', '日本', 'public x', '50% off?'])(
    'when %j has posted and is followed, then the links and pages work',
    async (prefix) => {
      const [author, bar] = [await signedIn(prefix), await signedIn('bar')];
      const name = author.username;
      await author.visitor.addMessage(`hello from ${name}`);
      const encoded = `/${encodeURIComponent(name)}`;
      const page = await bar.visitor.get(encoded);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`hello from ${inHtml(name)}`);
      expect(page.body).toContain(`href="${inHtml(encoded)}/follow?token=`);
      const followed = await bar.visitor.get(`${encoded}/follow`);
      expect(followed.redirects).toEqual([encoded]);
      expect(followed.body).toContain(`You are now following &#34;${inHtml(name)}&#34;`);
      expect((await bar.visitor.get('/')).body).toContain(`<a href="${inHtml(encoded)}">`);
    },
  );

  test('when a username is a fixed route, then the fixed route wins', async () => {
    const v = new Visitor(t.app);
    await v.registerAndLogin('public');
    expect((await v.get('/public')).body).toContain('<h2>Public Timeline</h2>');
  });

  test('when a path holds NUL, then a 400 page, not a 500', async () => {
    const bar = await signedIn('bar');
    expect((await bar.visitor.get('/a%00b')).statusCode).toBe(400);
    expect((await bar.visitor.get('/a%00b/follow')).statusCode).toBe(400);
  });
});

describe('what a profile and a timeline tell', () => {
  test('when a message mentions users, then only the existing ones are links to their pages', async () => {
    const [foo, bar] = [await signedIn('foo'), await signedIn('bar')];
    await foo.visitor.addMessage(`thanks @${bar.username} and @nobody-at-all`);
    for (const path of ['/public', `/${foo.username}`]) {
      for (const reader of [foo.visitor, new Visitor(t.app)]) {
        const page = (await reader.get(path)).body;
        expect(page).toContain(
          `thanks <a href="/${bar.username}" class=mention>@${bar.username}</a> and @nobody-at-all`,
        );
      }
    }
  });

  test('when people follow a user, then the profile counts followers and following, for everyone', async () => {
    const [star, fan1, fan2] = [await signedIn('star'), await signedIn('fan'), await signedIn('fan')];
    await fan1.visitor.get(`/${star.username}/follow`);
    const followed = await fan2.visitor.get(`/${star.username}/follow`);
    // The follower sees the new count at once.
    expect(followed.body).toMatch(
      /<p class=counts><strong>2<\/strong> followers\s*<span aria-hidden=true>&middot;<\/span> <strong>0<\/strong> following/,
    );
    await star.visitor.get(`/${fan1.username}/follow`);
    const own = (await star.visitor.get(`/${star.username}`)).body;
    expect(own).toMatch(/<strong>2<\/strong> followers[\s\S]*<strong>1<\/strong> following/);
    const fan = (await new Visitor(t.app).get(`/${fan1.username}`)).body;
    expect(fan).toMatch(/<strong>1<\/strong> follower\s[\s\S]*<strong>1<\/strong> following/);
  });

  test('when a new user has an empty timeline, then it says how to post and whom to follow', async () => {
    const poster = await signedIn('poster');
    await poster.visitor.addMessage('a message to be found by');
    const newcomer = await signedIn('newcomer');
    const page = (await newcomer.visitor.get('/')).body;
    expect(page).toContain("<li><em>There's no message so far.</em>");
    expect(page).toContain('Share your first message above');
    const guidance = /<div class=guidance>([\s\S]*?)<\/div>/.exec(page)![1]!;
    expect(guidance).toContain(`<a href="/${poster.username}">${poster.username}</a>`);
    expect(guidance).not.toContain(`>${newcomer.username}<`);
    expect(guidance).toContain('"Follow user"');
  });

  test('when a profile has no messages, then it says so, to its owner with where to post', async () => {
    const quiet = await signedIn('quiet');
    expect((await quiet.visitor.get(`/${quiet.username}`)).body).toContain(
      'You have not posted yet: share something from <a href="/">your timeline</a>.',
    );
    expect((await new Visitor(t.app).get(`/${quiet.username}`)).body).toMatch(
      /Nothing posted here yet\. <a href="\/register">Sign up<\/a> to follow and to post\./,
    );
  });

  test('when a timeline has messages, then no guidance', async () => {
    const poster = await signedIn('poster');
    await poster.visitor.addMessage('here');
    expect((await poster.visitor.get('/')).body).not.toContain('class=guidance');
  });
});
