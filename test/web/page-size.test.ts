// A timeline page is capped in bytes as well as in messages (issue 18, item 7): 30 messages of 10,000
// characters, each written as links, made a page of several megabytes. A page now stops at its last whole
// message within 2 MiB, and its "Older messages" link goes on from there: nothing is skipped.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findUserIdByName } from '../../src/data/users.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { newUser } from '../helpers/factory.js';

const PAGE_MAX_BYTES = 2 * 1024 * 1024;
/** 10,000 characters that become 2,000 links: about 110 kB of markup, 3.3 MB for 30 of them. */
const LINKS = 'a.co '.repeat(2000);

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

const olderLink = (html: string) =>
  /<a class=older href="([^"]+)">Older messages<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');
const newerLink = (html: string) =>
  /<a class=newer href="([^"]+)">Newer messages<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');
/** The numbers of the messages on a page ("<n> a.co a.co ..."), in order. */
const numbersOn = (html: string) =>
  [...html.matchAll(/<span class=text dir=auto>(\d+) /g)].map((m) => Number(m[1]));

test.each(['/public', '/:writer'])(
  'when %s has 40 messages of 2,000 links each, then each page is within 2 MiB and paging shows every message once',
  async (route) => {
    const { username } = await newUser(t.app, { prefix: 'linker' });
    await t.db.query(
      `INSERT INTO messages (author_id, text, pub_date)
       SELECT $1, i || ' ' || left($2, 9990 - length(i::text)), $3::timestamptz + i * interval '1 second'
       FROM generate_series(1, 40) AS i`,
      // /public's are the newest, whichever test runs first.
      [await findUserIdByName(t.db, username), LINKS, route === '/public' ? '2025-07-01' : '2025-06-01'],
    );
    const seen: number[] = [];
    const sizes: number[] = [];
    let url: string | undefined = route.replace(':writer', username);
    let oldest = '';
    while (url) {
      const reply = await t.app.inject({ method: 'GET', url });
      expect(reply.statusCode).toBe(200);
      sizes.push(reply.rawPayload.byteLength);
      seen.push(...numbersOn(reply.body));
      oldest = reply.body;
      url = olderLink(reply.body);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PAGE_MAX_BYTES);
    // The first page was cut by its bytes, not at 30 messages.
    expect(sizes[0]).toBeGreaterThan(PAGE_MAX_BYTES - 200_000);
    expect(seen.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
    if (route !== '/:writer') return;
    // Back up through the newer pages from the oldest: each within 2 MiB, every message once again.
    const seenBack: number[] = numbersOn(oldest);
    url = newerLink(oldest);
    for (let pages = 0; url && pages < 20; pages++) {
      let reply = await t.app.inject({ method: 'GET', url });
      // No newer page beyond this one: sent to the newest page, the first.
      if (reply.statusCode === 302)
        reply = await t.app.inject({ method: 'GET', url: reply.headers.location! });
      expect(reply.statusCode).toBe(200);
      expect(reply.rawPayload.byteLength).toBeLessThanOrEqual(PAGE_MAX_BYTES);
      seenBack.unshift(...numbersOn(reply.body));
      url = newerLink(reply.body);
    }
    expect(seenBack).toEqual(Array.from({ length: 40 }, (_, i) => 40 - i));
  },
);
