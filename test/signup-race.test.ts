// Look-alike names signed up at the same instant (issue 18, "What is left"): the look-alike check and the
// insert are one step against each other, so of many look-alikes sent at once exactly one is registered,
// through either door, and the others are told whose name theirs looks like.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { namesSharingSkeleton } from '../src/data/users.js';
import type { Database } from '../src/db/index.js';
import { startApp, type TestApp } from './helpers/app.js';
import { simulatorHeaders } from './helpers/simulator.js';

/**
 * Holds every transaction at its start until `expected` of them have started, then lets them all go: the
 * sign-ups then all look for look-alikes at the same instant, unless something (the skeletons' locks)
 * makes them take turns. Only on the server: PGlite runs one transaction at a time, so there it would
 * wait forever (and the order is already one at a time).
 */
const gate = { expected: 0, arrived: 0, open: () => {}, opened: Promise.resolve() };
const heldAtTheirStart = (db: Database): Database =>
  db.kind === 'pglite'
    ? db
    : {
        ...db,
        transaction: (work) =>
          db.transaction(async (tx) => {
            if (++gate.arrived === gate.expected) gate.open();
            await gate.opened;
            return work(tx);
          }),
      };
const holdTransactionsUntil = (expected: number) => {
  Object.assign(gate, { expected, arrived: 0 });
  gate.opened = new Promise((resolve) => (gate.open = resolve));
};

let t: TestApp;
let web: string;
let api: string;
beforeAll(async () => {
  // A connection for each sign-up held at the gate, and more for the checks before it.
  t = await startApp({ env: { LOG_LEVEL: 'silent', DB_POOL_SIZE: '40' }, wrapDatabase: heldAtTheirStart });
  web = await t.web.listen({ host: '127.0.0.1', port: 0 });
  api = await t.api.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => t.close());

/**
 * Distinct names that each pass every rule alone and all look like `alice` to the current rules (case,
 * full-width and small-capital letters, a dotted i, a digit one): src/usernames.ts nameSkeletons.
 */
const LOOK_ALIKES = [
  'alice',
  'Alice',
  'ALICE',
  'aLice',
  'alIce',
  'aliCe',
  'alicE',
  'ALice',
  'AlIcE',
  'aLiCe',
  'ａlice',
  'ａｌｉｃｅ',
  'ＡＬＩＣＥ',
  'Ａlice',
  'ᴀlice',
  'ali\u0307ce',
  'ALİCE',
  'ɑlice',
  'a1ice',
  'alＩce',
  '𝐚lice',
  'ªlice',
];

type Outcome = { door: 'api' | 'web'; name: string } & (
  { registered: true } | { registered: false; status: number; refusal: string }
);

/** Through the simulator API, with the simulator's credentials: registered is a 204. */
async function signUpApi(name: string, i: number): Promise<Outcome> {
  const reply = await fetch(`${api}/register`, {
    method: 'POST',
    headers: simulatorHeaders,
    body: JSON.stringify({ username: name, email: `racer${i}@example.com`, pwd: 'secret' }),
  });
  const body = await reply.text();
  if (reply.status === 204) return { door: 'api', name, registered: true };
  const refusal = reply.headers.get('content-type')?.startsWith('application/json')
    ? (JSON.parse(body) as { error_msg: string }).error_msg
    : body;
  return { door: 'api', name, registered: false, status: reply.status, refusal };
}

/** Through the sign-up form, as a person: registered is the redirect to the sign-in page. */
async function signUpWeb(name: string, i: number): Promise<Outcome> {
  const reply = await fetch(`${web}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      username: name,
      email: `racer${i}@example.com`,
      password: 'p',
      password2: 'p',
    }),
    redirect: 'manual',
  });
  const body = await reply.text();
  if (reply.status === 302 && reply.headers.get('location') === '/login')
    return { door: 'web', name, registered: true };
  const shown = /<div class=error id="username-error"><strong>Error:<\/strong> ([^<]*)<\/div>/.exec(
    body,
  )?.[1];
  const refusal = shown?.replaceAll('&#34;', '"') ?? body;
  return { door: 'web', name, registered: false, status: reply.status, refusal };
}

test(`when ${LOOK_ALIKES.length} look-alikes of one name sign up at the same instant through both doors, then exactly one is registered and every other is told it looks like it`, async () => {
  if (t.db.kind === 'postgres') holdTransactionsUntil(LOOK_ALIKES.length);
  const outcomes = await Promise.all(
    LOOK_ALIKES.map((name, i) => (i % 3 === 2 ? signUpWeb(name, i) : signUpApi(name, i))),
  );
  const registered = outcomes.filter((outcome) => outcome.registered);
  console.log(
    `look-alike sign-up race: ${registered.length} of ${LOOK_ALIKES.length} concurrent look-alikes registered ` +
      `(${registered.map((o) => JSON.stringify(o.name)).join(', ')})`,
  );
  expect(registered).toHaveLength(1);
  const winner = JSON.stringify(registered[0]!.name).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  const refused = outcomes.filter((outcome) => !outcome.registered);
  for (const outcome of refused) {
    // The API refuses with a 400; the form is shown again (200), as the original's is.
    expect(outcome).toEqual({
      ...outcome,
      status: outcome.door === 'api' ? 400 : 200,
      refusal: expect.stringMatching(
        new RegExp(`^The username looks like that of the existing user ${winner}$`),
      ),
    });
  }
  expect(await namesSharingSkeleton(t.db)).toEqual([]);
  const users = await t.db.query<{ username: string }>('SELECT username FROM users');
  expect(users.map((user) => user.username)).toEqual([registered[0]!.name]);
});
