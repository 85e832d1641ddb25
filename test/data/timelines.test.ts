import { afterAll, beforeAll, expect, test } from 'vitest';
import { follow } from '../../src/data/follows.js';
import {
  flagMessages,
  insertMessage,
  personalTimeline,
  publicTimeline,
  userTimeline,
} from '../../src/data/messages.js';
import { insertUser } from '../../src/data/users.js';
import type { Database } from '../../src/db/index.js';
import { openTestDatabase } from '../helpers/database.js';

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
