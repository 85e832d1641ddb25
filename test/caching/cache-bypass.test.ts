// Who may bypass the read cache, and what may fill it (issue 18, item 6): only a browser holding a flash
// we signed reads fresh; an unsigned `flash` cookie is served the kept page. A `?before=` cursor that names
// no message is refused before any timeline is read, so made-up cursors add nothing to the cache.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/factory.js';
import { flashes } from '../helpers/web.js';

/** How many timeline reads reached the database (the read cache answers the others). */
let timelineReads = 0;
const counting = (db: Database): Database => ({
  ...db,
  query: (sql, params) => {
    if (/ORDER BY m\.pub_date DESC/.test(sql)) timelineReads++;
    return db.query(sql, params);
  },
});

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ role: 'web', wrapDatabase: counting });
});
afterAll(() => t.close());

const get = (url: string, cookie?: string) =>
  t.app.inject({ method: 'GET', url, ...(cookie ? { headers: { cookie } } : {}) });

describe('the flash cookie', () => {
  test.each(['flash=x', 'flash=%5B%22forged%22%5D', 'flash=%5B%22forged%22%5D.bm90LWEtc2lnbmF0dXJl'])(
    'when a signed-out reader sends %s, then /public comes from the cache',
    async (cookie) => {
      await get('/public');
      const before = timelineReads;
      for (let i = 0; i < 10; i++) {
        const reply = await get('/public', cookie);
        expect(reply.statusCode).toBe(200);
        expect(flashes(reply.body)).toEqual([]);
      }
      // Not 0: a kept page expires after a second (read-cache.ts), which a slow machine may reach.
      expect(timelineReads - before).toBeLessThanOrEqual(2);
    },
  );

  test('when the browser holds a flash we signed, then its next page is read fresh and shows it', async () => {
    const { visitor } = await signedInUser(t.app, { prefix: 'bypass' });
    await get('/public');
    const before = timelineReads;
    const out = await visitor.logout();
    expect(flashes(out.body)).toEqual(['You were logged out']);
    expect(out.redirects.at(-1)).toBe('/public');
    expect(timelineReads - before).toBeGreaterThanOrEqual(1);
  });
});

/** A well-formed cursor, as the "Older messages" link writes one, for any position. */
const cursorAt = (epochMicros: bigint, messageId: number) =>
  Buffer.from(`${epochMicros}_${messageId}`).toString('base64url');

describe('the ?before= cursor', () => {
  test('when 50 distinct well-formed cursors name no message, then each is a 400 page and nothing is read or kept', async () => {
    const { visitor } = await signedInUser(t.app, { prefix: 'cursor' });
    await visitor.addMessage('one message, so the timeline is not empty');
    await get('/public');
    const reads = timelineReads;
    const kept = t.cache.entriesOf('public');
    for (let i = 0; i < 50; i++) {
      const reply = await get(`/public?before=${cursorAt(1_700_000_000_000_000n + BigInt(i), 1 + i)}`);
      expect(reply.statusCode).toBe(400);
      expect(reply.body).toContain('The link to older messages points at no message');
    }
    expect(timelineReads - reads).toBe(0);
    expect(t.cache.entriesOf('public')).toBeLessThanOrEqual(kept);
  });

  test('when the cursor names a real message, then the page older than it is shown, as before', async () => {
    const { visitor, username } = await signedInUser(t.app, { prefix: 'cursor real' });
    await visitor.addMessage('the older one');
    await visitor.addMessage('the newer one');
    const [newer] = await t.db.query<{ id: number; micros: string }>(
      `SELECT message_id AS id, (extract(epoch FROM pub_date) * 1000000)::bigint::text AS micros
       FROM messages WHERE text = 'the newer one'`,
    );
    const reply = await get(`/${username}?before=${cursorAt(BigInt(newer!.micros), newer!.id)}`);
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toContain('the older one');
    expect(reply.body).not.toContain('the newer one');
  });
});
