// A reply is capped in bytes as well as in items (issue 18, item 7): 1,000 messages of 10,000 four-byte
// characters made a 40 MB GET /msgs?no=1000. A list now stops at its last whole item within
// API_REPLY_MAX_BYTES, and the X-Truncated header says it was cut.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findUserIdByName } from '../../src/data/users.js';
import { startApi, testConfig, type TestApp } from '../helpers/app.js';
import { path, register, sim } from '../helpers/simulator.js';

const DEFAULT_CAP = 2 * 1024 * 1024;
const LONGEST = '😀'.repeat(10_000);
type ApiMessage = { content: string; pub_date: number; user: string };

/** `count` messages of 10,000 four-byte characters by `username`, a second apart, oldest first. */
async function longMessages(t: TestApp, username: string, count: number) {
  await t.db.query(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT $1, $2, timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second' FROM generate_series(1, $3) AS i`,
    [await findUserIdByName(t.db, username), LONGEST, count],
  );
}

/** The most items of `itemBytes` each that fit in a JSON array of at most `cap` bytes. */
const fitting = (cap: number, itemBytes: number) => Math.floor((cap - 1) / (itemBytes + 1));

describe('with the default cap (2 MiB)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApi();
    await register(t.app, 'long writer');
    await longMessages(t, 'long writer', 60); // 60 x 40 kB: 2.4 MB of JSON
  });
  afterAll(() => t.close());

  test.each(['/msgs?no=100', path('/msgs', 'long writer', '?no=100')])(
    'when %s holds more than the cap, then it stops at the last whole message within it and says so',
    async (url) => {
      const reply = await sim(t.app, 'GET', url);
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['x-truncated']).toBe('true');
      expect(reply.rawPayload.byteLength).toBeLessThanOrEqual(DEFAULT_CAP);
      const list = reply.json<ApiMessage[]>();
      const itemBytes = Buffer.byteLength(JSON.stringify(list[0]));
      expect(list).toHaveLength(fitting(DEFAULT_CAP, itemBytes));
      // The newest first, none skipped, every message whole.
      expect(list.map((m) => m.pub_date)).toEqual(list.map((_, i) => list[0]!.pub_date - i));
      expect(list.every((m) => m.content === LONGEST)).toBe(true);
    },
  );

  test('when the list fits, then it is whole and not marked', async () => {
    const reply = await sim(t.app, 'GET', '/msgs?no=10');
    expect(reply.json<ApiMessage[]>()).toHaveLength(10);
    expect(reply.headers['x-truncated']).toBeUndefined();
  });

  test('when a cut list is read again (from the read cache), then it is still marked', async () => {
    const first = await sim(t.app, 'GET', '/msgs?no=90');
    const again = await sim(t.app, 'GET', '/msgs?no=90');
    expect(again.body).toBe(first.body);
    expect(again.headers['x-truncated']).toBe('true');
  });

  test('when a message is longer than 10,000 characters, then it is refused, as before', async () => {
    const reply = await sim(t.app, 'POST', path('/msgs', 'long writer'), { content: `${LONGEST}😀` });
    expect(reply.statusCode).toBe(400);
  });

  test('the OpenAPI document describes the header on every list', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { get: { responses: { 200: { headers?: Record<string, unknown> } } } }>;
    }>();
    for (const list of ['/msgs', '/msgs/{username}', '/fllws/{username}'])
      expect(doc.paths[list]!.get.responses[200].headers?.['X-Truncated'], list).toMatchObject({
        schema: { type: 'string', enum: ['true'] },
      });
  });
});

describe('with API_REPLY_MAX_BYTES=65536', () => {
  const cap = 65_536;
  let t: TestApp;
  beforeAll(async () => {
    t = await startApi({ API_REPLY_MAX_BYTES: String(cap) });
  });
  afterAll(() => t.close());

  test('when the follows of a user pass the cap, then the list stops within it, in follow order, and says so', async () => {
    await register(t.app, 'follower');
    const names = Array.from({ length: 400 }, (_, i) => `${String(i).padStart(3, '0')}${'n'.repeat(190)}`);
    await t.db.query(
      `INSERT INTO users (username, email, pw_hash) SELECT name, 'x@example.com', 'x' FROM unnest($1::text[]) AS name`,
      [names],
    );
    await t.db.query(
      `INSERT INTO follows (who_id, whom_id, followed_at)
       SELECT $1, u.user_id, timestamptz '2025-01-01' + row_number() OVER (ORDER BY u.username) * interval '1 second'
       FROM users u WHERE u.username = ANY($2::text[])`,
      [await findUserIdByName(t.db, 'follower'), names],
    );
    const reply = await sim(t.app, 'GET', path('/fllws', 'follower', '?no=1000'));
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['x-truncated']).toBe('true');
    expect(reply.rawPayload.byteLength).toBeLessThanOrEqual(cap);
    const { follows } = reply.json<{ follows: string[] }>();
    const wrapper = Buffer.byteLength('{"follows":}');
    expect(follows).toEqual(names.slice(0, fitting(cap - wrapper, Buffer.byteLength(`"${names[0]}"`))));
  });

  test('when a cap below one message of 10,000 characters is asked for, then the configuration is refused', () => {
    expect(() => testConfig({ API_REPLY_MAX_BYTES: '1000' })).toThrow(/API_REPLY_MAX_BYTES=1000/);
  });
});
