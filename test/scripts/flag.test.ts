import { afterAll, beforeAll, expect, test } from 'vitest';
import { run as flag } from '../../scripts/commands/flag.js';
import { publicTimeline } from '../../src/data/messages.js';
import { insertMessage } from '../helpers/rows.js';
import { insertUser } from '../../src/data/users.js';
import type { Database } from '../../src/db/index.js';
import { openTestDatabase } from '../helpers/database.js';

let db: Database;
const ids: number[] = [];
beforeAll(async () => {
  ({ db } = await openTestDatabase());
  const author = (await insertUser(db, { username: 'Mallory Spam', email: 'm@s', pwHash: 'x' }))!;
  for (let i = 0; i < 1205; i++) ids.push(await insertMessage(db, author, `spam\nnumber ${i}`));
});
afterAll(() => db.close());

const run = async (...argv: string[]) => {
  const lines: string[] = [];
  const io = {
    out: (line: string) => lines.push(line),
    err: (line: string) => lines.push(line),
    env: {},
    db,
  };
  const code = await flag(argv, io);
  return { code, lines };
};

test('when flagging ids, then they vanish from the public timeline and the tool says which it flagged', async () => {
  const { code, lines } = await run(String(ids[0]), String(ids[1204]));
  expect(code).toBe(0);
  expect(lines).toEqual([`Flagged message ${ids[0]}`, `Flagged message ${ids[1204]}`]);
  const shown = (await publicTimeline(db, { limit: 2000 })).map((m) => m.messageId);
  expect(shown).not.toContain(ids[0]);
  expect(shown).not.toContain(ids[1204]);
  expect(shown).toHaveLength(1203);
});

test('when an id does not exist, then it says so and exits 1; a non-id is a usage error', async () => {
  expect(await run('999999')).toEqual({ code: 1, lines: ['No message 999999'] });
  const { code, lines } = await run('abc');
  expect(code).toBe(2);
  expect(lines[0]).toContain('Not message ids: abc');
});

test('when listing, then every message is printed once, across pages, with its flag, one line each', async () => {
  const { code, lines } = await run('--list');
  expect(code).toBe(0);
  expect(lines).toHaveLength(1205);
  expect(lines[0]).toBe(`${ids[0]}\tMallory Spam\tflagged\tspam number 0`);
  expect(lines[1]).toBe(`${ids[1]}\tMallory Spam\t-\tspam number 1`);
  expect(new Set(lines).size).toBe(1205);
});
