// Which names a user may take: none that a route needs, none that hides or reverses characters, none that
// looks like someone else's; every name the simulator's spec calls for still works, and is found by the
// name a client sends.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findUserByName } from '../src/data/users.js';
import { RESERVED_NAMES, usernameProblem } from '../src/usernames.js';
import { startApp, type TestApp } from './helpers/app.js';
import { path, sim, simulatorHeaders } from './helpers/simulator.js';
import { Visitor } from './helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: { LOG_LEVEL: 'silent' } });
});
afterAll(() => t.close());

const registerApi = (username: string) =>
  sim(t.api, 'POST', '/register', { username, email: 'someone@example.com', pwd: 'secret' });
const errorOf = async (username: string) => {
  const reply = await registerApi(username);
  return reply.statusCode === 204
    ? undefined
    : `${reply.statusCode} ${reply.json<{ error_msg: string }>().error_msg}`;
};

describe('reserved names', () => {
  test.each([
    'login',
    'logout',
    'register',
    'public',
    'add_message',
    'static',
    'metrics',
    'healthz',
    'readyz',
    'docs',
    'openapi.json',
    'latest',
    'msgs',
    'fllws',
    'Logout',
    'PUBLIC',
    'favicon.ico',
    'robots.txt',
  ])('when someone signs up as %j, then it is refused: a route has that name', async (name) => {
    expect(await errorOf(name)).toMatch(/^400 .*reserved/);
  });

  test('when either app is built, then the first segment of every fixed route is a reserved name', async () => {
    const segments = new Set<string>();
    for (const app of [t.web, t.api]) {
      // printRoutes draws a tree; each line's indentation says how deep its segment is.
      const stack: string[] = [];
      for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
        const match = /^([│ ]*)[├└]── (\S+)/.exec(line);
        if (!match) continue;
        stack.length = match[1]!.length / 4;
        stack.push(match[2]!);
        const first = stack.join('').split('/')[1];
        if (first && !first.startsWith(':') && first !== '*') segments.add(first);
      }
    }
    expect(segments).toContain('logout');
    expect(segments).toContain('openapi.json');
    expect([...segments].filter((segment) => !RESERVED_NAMES.has(segment.toLowerCase()))).toEqual([]);
  });

  test('when a web visitor signs up as "logout", then the form says why', async () => {
    const reply = await new Visitor(t.web).register('logout');
    expect(reply.body).toContain('<strong>Error:</strong> The username &#34;logout&#34; is reserved');
  });
});

describe('names that hide what they are', () => {
  test.each([
    ['.', 'dots'],
    ['..', 'dots'],
    [' leading', 'space'],
    ['trailing ', 'space'],
    ['\u00A0nbsp', 'space'],
    ['tab\there', 'control'],
    ['c1\u0085next-line', 'control'],
    ['c1\u009bcsi', 'control'],
    ['zero\u200Bwidth', 'invisible'],
    ['joiner\u200Dname', 'invisible'],
    ['word\u2060joiner', 'invisible'],
    ['\uFEFFbom', 'invisible'],
    ['soft\u00ADhyphen', 'invisible'],
    ['evil\u202Egnp.exe', 'invisible'],
    ['isolate\u2066x\u2069', 'invisible'],
    ['arabic\u061Cmark', 'invisible'],
    ['\u3164', 'invisible'],
    ['lone\uD800surrogate', 'invisible'],
  ])('when someone signs up as %j, then it is refused (%s)', async (name) => {
    expect(await errorOf(name)).toMatch(/^400 /);
    expect(await findUserByName(t.db, name)).toBeUndefined();
  });
});

describe('look-alikes', () => {
  test.each([
    ['paypal', 'pаypal', 'a Cyrillic а among Latin letters'],
    ['Geoffrey Stieff', 'Geоffrey Stieff', 'a Cyrillic о'],
    ['scope', 'ѕсоре', 'all Cyrillic, looking like a Latin name'],
    ['Ivan', 'lvan', 'a lower-case l for a capital I'],
    ['modern', 'rnodern', 'rn for m'],
    ['Alpha', 'Αlpha', 'a Greek capital Alpha'],
    ['COCO', 'СОСО', 'Cyrillic capitals, compared as written before case is folded'],
    ['Hello', 'HELL0', 'capitals and a zero, folded after the skeleton maps 0 to O'],
  ])('when %j exists, then %j is refused (%s)', async (existing, lookalike) => {
    expect(await errorOf(existing)).toBeUndefined();
    expect(await errorOf(lookalike)).toMatch(/^400 .*looks like/);
  });

  test.each([
    ['a Latin and a Cyrillic letter in one name, even with no one to mistake it for', 'mixеd'],
    ['Latin and Greek', 'Ωmega fan'],
  ])('when a name mixes scripts that look alike (%s), then it is refused', async (_why, name) => {
    expect(await errorOf(name)).toMatch(/^400 .*scripts/);
  });
});

describe('names the simulator’s spec calls for', () => {
  test.each([
    'Roger Histand',
    'José Ñúñez',
    'Zoë O’Brien',
    "D'Angelo",
    'a+b%c',
    '山田太郎',
    'やまだ タロウ Yamada',
    '김민준',
    'Алексей Смирнов',
    'Νίκος',
    'محمد علي',
    '😀 party',
    '👩🏽‍💻 coder',
    'Iñtërnâtiônàlizætiøn',
  ])('when someone signs up as %j, then it works and round-trips through every endpoint', async (name) => {
    expect(await errorOf(name)).toBeUndefined();
    expect((await sim(t.api, 'POST', path('/msgs', name), { content: `hi from ${name}` })).statusCode).toBe(
      204,
    );
    const [message] = (await sim(t.api, 'GET', path('/msgs', name))).json<
      { user: string; content: string }[]
    >();
    expect(message).toEqual({ user: name, content: `hi from ${name}`, pub_date: expect.any(Number) });
    expect((await new Visitor(t.web).get(path('', name))).statusCode).toBe(200);
  });
});

describe('Unicode normalisation', () => {
  const decomposed = 'Rene\u0301 Descomposé'.normalize('NFD');
  const composed = decomposed.normalize('NFC');

  test('when a name is sent decomposed (NFD), then it is stored composed (NFC) and found by either form', async () => {
    expect(await errorOf(decomposed)).toBeUndefined();
    expect((await findUserByName(t.db, composed))?.username).toBe(composed);
    for (const name of [decomposed, composed]) {
      expect((await sim(t.api, 'POST', path('/msgs', name), { content: 'x' })).statusCode).toBe(204);
      expect((await sim(t.api, 'GET', path('/msgs', name))).statusCode).toBe(200);
    }
    expect(await errorOf(composed)).toMatch(/^400 The username is already taken/);
  });

  test('when following by a decomposed name, then the follow is of the one user', async () => {
    expect(await errorOf('follower-nfc')).toBeUndefined();
    const follow = await sim(
      t.api,
      'POST',
      path('/fllws', 'follower-nfc'),
      { follow: decomposed },
      simulatorHeaders,
    );
    expect(follow.statusCode).toBe(204);
    const { follows } = (await sim(t.api, 'GET', path('/fllws', 'follower-nfc'))).json<{
      follows: string[];
    }>();
    expect(follows).toEqual([composed]);
  });
});

describe('invisible and case look-alikes (issue 18, item 4)', () => {
  beforeAll(async () => {
    for (const name of ['bob', 'alice', 'carol', '❤️ fan']) expect(await errorOf(name)).toBeUndefined();
  });

  // The ones the attack used.
  test.each(['FE0F', 'FE00', '180B', '180C', 'E0100', '17B4', '17B5'])(
    'when "bob" exists, then "bob" + U+%s (a Default_Ignorable code point) is refused',
    async (hex) => {
      const name = `bob${String.fromCodePoint(Number.parseInt(hex, 16))}`;
      expect(await errorOf(name)).toMatch(/^400 .*invisible/);
      expect(await findUserByName(t.db, name)).toBeUndefined();
    },
  );

  test('when a name holds any Default_Ignorable code point outside an emoji, then it is refused', () => {
    const ignorable = /^\p{Default_Ignorable_Code_Point}$/u;
    let checked = 0;
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      const char = String.fromCodePoint(codePoint);
      if (!ignorable.test(char)) continue;
      checked++;
      expect(usernameProblem(`a${char}b`.normalize('NFC')), char).toMatch(/invisible/);
      // At either end: refused too (U+FEFF and a few others count as a space there).
      for (const name of [`ab${char}`, `${char}ab`])
        expect(usernameProblem(name.normalize('NFC'))).toBeDefined();
    }
    // Unicode 15-17 list 4,174 of them (4,096 are the tag and variation selector block).
    expect(checked).toBeGreaterThan(4100);
  });

  test.each([
    ['alice', 'Alice', 'a capital'],
    ['alice', 'ALICE', 'all capitals'],
    ['alice', 'ᴀlice', 'a small capital A (U+1D00)'],
    ['alice', 'ali\u0307ce', 'a dot above (U+0307) on the i, which has one'],
    ['alice', 'ALİCE', 'a capital I with a dot (U+0130), which folds to i + U+0307'],
    ['carol', 'ℂarol', 'a double-struck C (U+2102), a compatibility form of C'],
    ['carol', 'ＣＡＲＯＬ', 'full-width capitals'],
    ['❤️ fan', '❤ fan', 'the same emoji without its presentation selector'],
  ])('when %j exists, then %j is refused (%s)', async (_existing, lookalike) => {
    expect(await errorOf(lookalike)).toMatch(/^400 .*looks like/);
    expect(await findUserByName(t.db, lookalike)).toBeUndefined();
  });

  test('when "carol" exists, then "caro" + U+0338 (a mark drawn through the o) is refused', async () => {
    expect(await errorOf('caro\u0338l')).toMatch(/^400 .*mark drawn through a letter/);
  });

  test('when names differ in case, then lookups stay exact: "alice" is found by "alice" only', async () => {
    expect((await sim(t.api, 'POST', path('/msgs', 'alice'), { content: 'by alice' })).statusCode).toBe(204);
    expect((await sim(t.api, 'GET', path('/msgs', 'alice'))).statusCode).toBe(200);
    for (const other of ['Alice', 'ALICE']) {
      expect((await sim(t.api, 'GET', path('/msgs', other))).statusCode).toBe(404);
      expect((await new Visitor(t.web).get(path('', other))).statusCode).toBe(404);
    }
    expect((await new Visitor(t.web).get(path('', 'alice'))).statusCode).toBe(200);
  });

  test('when an emoji needs a joiner, a selector or tags, then the name registers', async () => {
    expect(await errorOf('🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} fan')).toBeUndefined();
    expect(await errorOf('🧑\u200D🍳 cook')).toBeUndefined();
  });
});
