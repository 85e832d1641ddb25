// The moderator's tool reads what users wrote and prints it to a terminal; and a typo in an id must not
// flag some other message.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { run as flag } from '../../scripts/commands/flag.js';
import { insertMessage } from '../helpers/rows.js';
import { insertUser } from '../../src/data/users.js';
import type { Database } from '../../src/db/index.js';
import { openTestDatabase } from '../helpers/database.js';

let db: Database;
let hostileId: number;
beforeAll(async () => {
  ({ db } = await openTestDatabase());
  // An old row: names could hold such characters before the name rules.
  const author = (await insertUser(db, { username: 'Eve\u202Eliam', email: 'e@x', pwHash: 'x' }))!;
  hostileId = await insertMessage(
    db,
    author,
    'hi\u001b[2J\u001b]0;pwned\u0007 \u009b31m red\u202Edesrever\r\nnext',
  );
  for (let i = 0; i < 20; i++) await insertMessage(db, author, `filler ${i}`);
});
afterAll(() => db.close());

const run = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await flag(argv, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    db,
  });
  return { code, out, err };
};
const flagged = async () =>
  (await db.query<{ id: number }>('SELECT message_id AS id FROM messages WHERE flagged ORDER BY 1')).map(
    (r) => r.id,
  );

/** C0 controls, DEL, C1, bidi controls, line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('when listing, then control and bidi characters in texts and names are shown as escapes, one line per message', async () => {
  const { code, out } = await run('--list');
  expect(code).toBe(0);
  const line = out.find((l) => l.startsWith(`${hostileId}\t`))!;
  expect(line.split('\t').map((field) => RAW_CONTROL.test(field))).toEqual([false, false, false, false]);
  expect(line).toBe(
    `${hostileId}\tEve\\u202eliam\t-\thi\\u001b[2J\\u001b]0;pwned\\u0007 \\u009b31m red\\u202edesrever next`,
  );
});

test.each([
  ['0x10', 'a hexadecimal id'],
  ['1e3', 'an exponent'],
  ['+5', 'a sign'],
  ['5.0', 'a decimal point'],
  ['0', 'zero'],
  ['99999999999999999999', 'an id beyond any message'],
  ['', 'an empty argument'],
])('when an id is %j (%s), then nothing is flagged and it is a usage error', async (id) => {
  const before = await flagged();
  const { code, err } = await run(String(hostileId), id);
  expect(code).toBe(2);
  expect(err.join('\n')).toContain('Not message ids');
  expect(await flagged()).toEqual(before);
});

test.each(['abc', '-1', '0x10', '1e3', ''])(
  'when --after is %j, then a usage error naming --after, not a stack trace',
  async (after) => {
    const { code, out, err } = await run('--list', `--after=${after}`);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/--after must be/);
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
  },
);

test('when --after is a plain id, then the list starts after it', async () => {
  const { code, out } = await run('--list', '--after', String(hostileId));
  expect(code).toBe(0);
  expect(out).toHaveLength(20);
  expect(out[0]).toMatch(/\tfiller 0$/);
});

// Issue 18, item 12: U+200B and the other Default_Ignorable code points went to the terminal raw, so a
// message or name with them looked exactly like one without.
const INVISIBLE = [
  '\u200b', // zero-width space
  '\ufe0f', // variation selectors
  '\ufe00',
  '\u180b', // Mongolian free variation selectors
  '\u180c',
  '\u{e0100}', // a supplementary variation selector
  '\u17b4', // Khmer inherent vowels
  '\u17b5',
  '\u3164', // Hangul filler
  '\u2800', // Braille blank
  '\u00a0', // no-break space: blank, but not a space
  '\u00ad', // soft hyphen
  '\u{e0041}', // a tag character
  '\ue000', // private use
  '\u{10ffff}', // a noncharacter
];

test('when listing, then every invisible character in texts and names is shown as an escape', async () => {
  const author = (await insertUser(db, { username: `bob${INVISIBLE.join('')}`, email: 'b@x', pwHash: 'x' }))!;
  const id = await insertMessage(db, author, `hidden:${INVISIBLE.join('|')}:end`);
  const { code, out } = await run('--list', '--after', String(id - 1));
  expect(code).toBe(0);
  const escapes = INVISIBLE.map((c) => {
    const hex = c.codePointAt(0)!.toString(16);
    return c.length > 1 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
  });
  expect(out[0]).toBe(`${id}\tbob${escapes.join('')}\t-\thidden:${escapes.join('|')}:end`);
  // Nothing the eye cannot see is left: every character is printable ASCII, a tab, or a visible letter.
  expect(out[0]).toMatch(/^[\t\x20-\x7e]*$/);
});

test('when an id holds an invisible character, then the usage error shows it escaped', async () => {
  const { code, err } = await run('12\u200b');
  expect(code).toBe(2);
  expect(err.join('\n')).toContain('Not message ids: 12\\u200b');
});
