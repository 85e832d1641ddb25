// Every character a user sends comes back as sent, on whichever database the suite runs (PGlite by
// default, the PostgreSQL server with DATABASE_URL): through the SQL layer, the API and the pages.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertTextRoundTrips } from '../../src/db/pglite.js';
import type { Queryable } from '../../src/db/index.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { path, register, sim, tweet } from '../helpers/simulator.js';
import { Visitor } from '../helpers/web.js';

// The course's scenario has a message that begins with U+FEFF (action 12508, by "Cheryll Ebbers").
const TEXTS = {
  'a leading byte order mark (U+FEFF)': '\uFEFFI am the first character of this message',
  'two leading byte order marks': '\uFEFF\uFEFFtwice',
  'a byte order mark alone': '\uFEFF',
  'a byte order mark inside': 'in\uFEFFside',
  'a zero-width space and joiner': 'a\u200Bb\u200Dc',
  'a right-to-left override': 'abc\u202Edef',
  'combining characters (not normalised)': 'e\u0301 and \u00E9',
  'emoji with a zero-width joiner and a skin tone': '👩🏽‍💻 and 🏳️‍🌈',
  'CJK and Arabic': '日本語のテキスト و العربية',
  'a tab and a newline': 'line one\tcolumn\nline two',
};

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: { LOG_LEVEL: 'silent' } });
  await register(t.api, 'Cheryll Ebbers');
});
afterAll(() => t.close());

describe(`a message reads back exactly as sent`, () => {
  test.each(Object.entries(TEXTS))(
    'when it holds %s, then the API returns it unchanged',
    async (_what, text) => {
      await tweet(t.api, 'Cheryll Ebbers', text);
      const [newest] = (await sim(t.api, 'GET', path('/msgs', 'Cheryll Ebbers', '?no=1'))).json<
        { content: string }[]
      >();
      expect([...newest!.content].map((c) => c.codePointAt(0))).toEqual(
        [...text].map((c) => c.codePointAt(0)),
      );
    },
  );

  test('when a leading U+FEFF message is read by SQL, then the text is unchanged', async () => {
    const [row] = await t.db.query<{ text: string }>('SELECT $1::text AS text', [
      TEXTS['a leading byte order mark (U+FEFF)'],
    ]);
    expect(row!.text.codePointAt(0)).toBe(0xfeff);
  });

  test('when posted on the web, then the page shows it with its leading U+FEFF', async () => {
    const visitor = new Visitor(t.web);
    await visitor.registerAndLogin('bom-writer');
    await visitor.addMessage('\uFEFFfrom the web');
    const page = (await visitor.get('/bom-writer')).body;
    expect(page).toContain('\uFEFFfrom the web');
  });
});

describe('the embedded database is checked at start for what its driver does to text', () => {
  test('when a driver drops a leading U+FEFF, then opening refuses with a message that says how to fix it', async () => {
    const stripping: Queryable = {
      query: async <Row>(_sql: string, params?: readonly unknown[]) =>
        [{ text: String(params?.[0]).replace(/^\uFEFF/, '') }] as Row[],
      exec: async () => {},
    };
    await expect(assertTextRoundTrips(stripping)).rejects.toThrow(/U\+FEFF.*patch-package/s);
  });

  test('when the driver keeps every character, then the check passes', async () => {
    await expect(assertTextRoundTrips(t.db)).resolves.toBeUndefined();
  });
});
