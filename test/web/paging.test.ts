// Older messages: each timeline pages back with ?before=<cursor>; the first page is the original's.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findUserIdByName } from '../../src/data/users.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { newUser, signedInUser } from '../helpers/factory.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

/**
 * A signed-in reader following a writer of 65 messages, every five sharing one pub_date so the message id
 * has to break the ties; each test has its own, and the texts name the writer.
 */
async function readerAndWriterOf65() {
  const { visitor: reader } = await signedInUser(t.app, { prefix: 'reader' });
  const { username: writer } = await newUser(t.app, { prefix: 'writer' });
  await t.db.query(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT $1, 'message ' || i || ' by ' || $2 || '.', timestamptz '2024-01-01 12:00:00.123456+00' + (i / 5) * interval '1 minute'
     FROM generate_series(1, 65) AS i`,
    [await findUserIdByName(t.db, writer), writer],
  );
  await reader.get(`/${writer}/follow`);
  return { reader, writer };
}

const shownBy = (html: string, writer: string) =>
  [...html.matchAll(/message (\d+) by ([^<]+)\./g)].filter((m) => m[2] === writer).map((m) => Number(m[1]));
/** Every message on the page, whoever wrote it. */
const messagesOn = (html: string) => html.split('<li><img ').length - 1;
const olderLink = (html: string) =>
  /<a class=older href="([^"]+)">Older messages<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');
const newerLink = (html: string) =>
  /<a class=newer href="([^"]+)">Newer messages<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');

describe('paging back through a timeline', () => {
  test.each(['/public', '/:writer', '/'])(
    'when %s has 65 messages, then pages of 30 show each exactly once, newest first',
    async (route) => {
      const { reader, writer } = await readerAndWriterOf65();
      const path = route.replace(':writer', writer);
      const seen: number[] = [];
      let url: string | undefined = path;
      const pageSizes: number[] = [];
      while (url) {
        const reply = await reader.get(url);
        expect(reply.statusCode).toBe(200);
        pageSizes.push(messagesOn(reply.body));
        seen.push(...shownBy(reply.body, writer));
        url = olderLink(reply.body)?.replaceAll('&amp;', '&');
        if (url) expect(url.startsWith(`${path}?before=`)).toBe(true);
      }
      expect(seen).toEqual(Array.from({ length: 65 }, (_, i) => 65 - i));
      // The public timeline also holds other tests' messages: every page but the last is full.
      if (route === '/public') expect(pageSizes.slice(0, -1).every((size) => size === 30)).toBe(true);
      else expect(pageSizes).toEqual([30, 30, 5]);
    },
  );

  test('when a timeline has no more than 30 messages, then there is no "Older messages" link', async () => {
    const { username, visitor: v } = await signedInUser(t.app, { prefix: 'few' });
    await v.addMessage('only one');
    expect(olderLink((await v.get(`/${username}`)).body)).toBeUndefined();
    expect(olderLink((await v.get('/')).body)).toBeUndefined();
  });

  test.each([
    '',
    'x',
    '!!!',
    Buffer.from('12_x').toString('base64url'),
    Buffer.from('99999999999999999_1').toString('base64url'),
    'a'.repeat(300),
  ])('when the cursor is %j, then a 400 page, not a 500', async (before) => {
    const { visitor: reader } = await signedInUser(t.app, { prefix: 'reader' });
    const reply = await reader.get(`/public?before=${before}`);
    expect(reply.statusCode).toBe(400);
    expect(reply.body).toContain('<title>Bad Request | MiniTwit</title>');
  });

  test('when the cursor is given twice, or both before and after, then a 400 page', async () => {
    const { visitor: reader } = await signedInUser(t.app, { prefix: 'reader' });
    const first = await readerAndWriterOf65();
    const older = olderLink((await first.reader.get(`/${first.writer}`)).body)!;
    const cursor = older.split('before=')[1]!;
    expect((await reader.get(`/public?before=${cursor}&after=${cursor}`)).statusCode).toBe(400);
  });

  test('when the cursor is given twice, then a 400 page', async () => {
    const { visitor: reader } = await signedInUser(t.app, { prefix: 'reader' });
    expect((await reader.get('/public?before=a&before=b')).statusCode).toBe(400);
  });
});

describe('paging forward again', () => {
  test.each(['/public', '/:writer', '/'])(
    'when %s is paged back to the end, then "Newer messages" leads back page by page to the first, which has none',
    async (route) => {
      const { reader, writer } = await readerAndWriterOf65();
      const path = route.replace(':writer', writer);
      // Back to the end, keeping each page's messages as shown.
      const pages: number[][] = [];
      let url: string | undefined = path;
      while (url) {
        const html: string = (await reader.get(url)).body;
        pages.push(shownBy(html, writer));
        if (pages.length === 1) expect(newerLink(html)).toBeUndefined();
        url = olderLink(html);
      }
      expect(pages.length).toBeGreaterThan(2);
      // Forward again: from the last page, each "Newer messages" shows the page that was before it.
      let html = (await reader.get(olderLink((await reader.get(path)).body)!)).body;
      for (let i = 2; i < pages.length; i++) html = (await reader.get(olderLink(html)!)).body;
      for (let i = pages.length - 2; i >= 0; i--) {
        const newer = newerLink(html);
        expect(newer).toBeDefined();
        const reply = await reader.get(newer!);
        expect(reply.statusCode).toBe(200);
        html = reply.body;
        expect(shownBy(html, writer)).toEqual(pages[i]);
      }
      // Back at the first page: no newer link.
      expect(newerLink(html)).toBeUndefined();
    },
  );

  test('when the newer page holds fewer than a page of messages, then it leads to the first page', async () => {
    const { reader, writer } = await readerAndWriterOf65();
    const second = (await reader.get(olderLink((await reader.get(`/${writer}`)).body)!)).body;
    const newer = newerLink(second)!;
    expect(newer).toMatch(new RegExp(`^/${writer}\\?after=[\\w-]+$`));
    // The 30 messages newer than the second page are exactly the first page's: it is the first page.
    const reply = await reader.get(newer, {}, false);
    expect(reply.statusCode).toBe(302);
    expect(reply.headers.location).toBe(`/${writer}`);
  });

  test('when signed out, then the newer links work the same', async () => {
    const { writer } = await readerAndWriterOf65();
    const v = new Visitor(t.app);
    const second = (await v.get(olderLink((await v.get(`/${writer}`)).body)!)).body;
    const third = (await v.get(olderLink(second)!)).body;
    expect(shownBy(third, writer)).toEqual([5, 4, 3, 2, 1]);
    const back = await v.get(newerLink(third)!);
    expect(back.statusCode).toBe(200);
    expect(shownBy(back.body, writer)).toEqual(Array.from({ length: 30 }, (_, i) => 35 - i));
    expect(newerLink(back.body)).toMatch(new RegExp(`^/${writer}\\?after=[\\w-]+$`));
  });
});
