import { afterAll, beforeAll, expect, test } from 'vitest';
import { flagMessages, personalTimeline, publicTimeline, userTimeline } from '../../src/data/messages.js';
import { insertUser } from '../../src/data/users.js';
import type { Database } from '../../src/db/index.js';
import { openTestDatabase } from '../helpers/database.js';
import { follow, insertMessage } from '../helpers/rows.js';

let db: Database;
const id: Record<string, number> = {};
const texts = (rows: { text: string }[]) => rows.map((r) => r.text);

beforeAll(async () => {
  ({ db } = await openTestDatabase());
  for (const name of ['me', 'friend', 'stranger', 'quiet']) {
    id[name] = (await insertUser(db, { username: name, email: `${name}@x`, pwHash: 'h' }))!;
  }
  await follow(db, id.me!, id.friend!);
  await follow(db, id.me!, id.quiet!); // follows someone who never posts
  // Interleaved, so the merge across authors is what orders them.
  for (let i = 0; i < 5; i++) {
    for (const name of ['me', 'friend', 'stranger']) await insertMessage(db, id[name]!, `${name} ${i}`);
  }
  const [flagged] = await db.query<{ id: number }>(
    "SELECT message_id AS id FROM messages WHERE text = 'friend 4'",
  );
  await flagMessages(db, [flagged!.id]);
});
afterAll(() => db.close());

test('the personal timeline merges my messages and those I follow, newest first, without strangers or flagged ones', async () => {
  expect(texts(await personalTimeline(db, id.me!, { limit: 100 }))).toEqual([
    'me 4',
    'friend 3',
    'me 3',
    'friend 2',
    'me 2',
    'friend 1',
    'me 1',
    'friend 0',
    'me 0',
  ]);
});

test('each timeline pages by keyset: the page after the last row shown continues exactly', async () => {
  const timelines = [
    (before?: { pubDate: string; messageId: number }) => personalTimeline(db, id.me!, { limit: 4, before }),
    (before?: { pubDate: string; messageId: number }) => publicTimeline(db, { limit: 4, before }),
    (before?: { pubDate: string; messageId: number }) => userTimeline(db, id.friend!, { limit: 4, before }),
  ];
  for (const read of timelines) {
    const everything = [];
    let before: { pubDate: string; messageId: number } | undefined;
    for (;;) {
      const page = await read(before);
      everything.push(...page);
      if (page.length < 4) break;
      before = { pubDate: page.at(-1)!.position, messageId: page.at(-1)!.messageId };
    }
    const ids = everything.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  }
  expect((await publicTimeline(db, { limit: 100 })).length).toBe(14);
});

test('someone who follows nobody and never posted has an empty personal timeline', async () => {
  expect(await personalTimeline(db, id.quiet!, { limit: 30 })).toEqual([]);
});

test('the personal timeline of a user following more authors than a page holds equals the messages of those authors, page by page', async () => {
  // Authors who post in bursts and one who posts most: the page is made of a few authors' runs, and the
  // authors whose newest message is older than the page's must not be needed to fill it.
  const reader = (await insertUser(db, { username: 'reader', email: 'r@x', pwHash: 'h' }))!;
  const authors: number[] = [];
  for (let i = 0; i < 12; i++) {
    const author = (await insertUser(db, { username: `author ${i}`, email: `a${i}@x`, pwHash: 'h' }))!;
    authors.push(author);
    if (i % 4 !== 3) await follow(db, reader, author); // every fourth is not followed
  }
  await insertMessage(db, reader, 'my own');
  for (let round = 0; round < 6; round++) {
    for (const [i, author] of authors.entries()) {
      const burst = i === 0 ? 5 : (round + i) % 3;
      for (let k = 0; k < burst; k++) await insertMessage(db, author, `author ${i} round ${round} #${k}`);
    }
  }
  const expected = await db.query<{ messageId: number }>(
    `SELECT message_id AS "messageId" FROM messages
     WHERE NOT flagged AND (author_id = $1 OR author_id IN (SELECT whom_id FROM follows WHERE who_id = $1))
     ORDER BY pub_date DESC, message_id DESC`,
    [reader],
  );
  for (const limit of [1, 3, 7]) {
    const seen: number[] = [];
    let before: { pubDate: string; messageId: number } | undefined;
    for (;;) {
      const page = await personalTimeline(db, reader, { limit, before });
      seen.push(...page.map((m) => m.messageId));
      if (page.length < limit) break;
      before = { pubDate: page.at(-1)!.position, messageId: page.at(-1)!.messageId };
    }
    expect(seen).toEqual(expected.map((m) => m.messageId));
  }
  expect(expected.length).toBeGreaterThan(60);
});
