// Older messages: each timeline pages back with ?before=<cursor>; the first page is the original's.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findUserIdByName } from '../../src/data/users.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
let reader: Visitor;
beforeAll(async () => {
  t = await startWeb();
  reader = new Visitor(t.app);
  await reader.registerAndLogin('reader');
  await new Visitor(t.app).register('writer');
  const writerId = await findUserIdByName(t.db, 'writer');
  // 65 messages; every five share one pub_date, so the message id has to break the ties.
  await t.db.query(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT $1, 'message ' || i || '.', timestamptz '2024-01-01 12:00:00.123456+00' + (i / 5) * interval '1 minute'
     FROM generate_series(1, 65) AS i`,
    [writerId],
  );
  await reader.get('/writer/follow');
});
afterAll(() => t.close());

const shown = (html: string) => [...html.matchAll(/message (\d+)\./g)].map((m) => Number(m[1]));
const olderLink = (html: string) => /<a class=older href="([^"]+)">Older messages<\/a>/.exec(html)?.[1];

describe('paging back through a timeline', () => {
  test.each(['/public', '/writer', '/'])(
    'when %s has 65 messages, then three pages show each exactly once, newest first',
    async (path) => {
      const seen: number[] = [];
      let url: string | undefined = path;
      const pageSizes: number[] = [];
      while (url) {
        const reply = await reader.get(url);
        expect(reply.statusCode).toBe(200);
        pageSizes.push(shown(reply.body).length);
        seen.push(...shown(reply.body));
        url = olderLink(reply.body)?.replaceAll('&amp;', '&');
        if (url) expect(url.startsWith(`${path}?before=`)).toBe(true);
      }
      expect(pageSizes).toEqual([30, 30, 5]);
      expect(seen).toEqual(Array.from({ length: 65 }, (_, i) => 65 - i));
    },
  );

  test('when a timeline has no more than 30 messages, then there is no "Older messages" link', async () => {
    const v = new Visitor(t.app);
    await v.registerAndLogin('few');
    await v.addMessage('only one');
    expect(olderLink((await v.get('/few')).body)).toBeUndefined();
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
    const reply = await reader.get(`/public?before=${before}`);
    expect(reply.statusCode).toBe(400);
    expect(reply.body).toContain('<title>Bad Request | MiniTwit</title>');
  });

  test('when the cursor is given twice, then a 400 page', async () => {
    expect((await reader.get('/public?before=a&before=b')).statusCode).toBe(400);
  });
});
