// A signed-out reader's timeline page is kept whole in the read cache (src/web/timeline-routes.ts): it
// must still change at once with a post or a flag, never carry a signed-in reader's markup, and never
// hide a flash from the browser it is meant for.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as minitwit from '../../src/minitwit.js';
import { startWeb, type TestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/factory.js';
import { flashes, Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

const signedOut = () => new Visitor(t.app);
const userUrl = (name: string) => `/${encodeURIComponent(name)}`;

async function messageId(text: string): Promise<number> {
  const [row] = await t.db.query<{ id: number }>('SELECT message_id AS id FROM messages WHERE text = $1', [
    text,
  ]);
  return row!.id;
}

describe('a signed-out reader', () => {
  test('when the author posts, then the next signed-out read of /public and of their page shows it', async () => {
    const author = await signedInUser(t.app, { prefix: 'whole-page author' });
    await author.visitor.addMessage('before the cached read');
    const first = await signedOut().get('/public');
    const again = await signedOut().get('/public');
    expect(again.body).toBe(first.body);
    const page = await signedOut().get(userUrl(author.username));
    expect(page.body).toContain('before the cached read');

    await author.visitor.addMessage('after the cached read');
    expect((await signedOut().get('/public')).body).toContain('after the cached read');
    expect((await signedOut().get(userUrl(author.username))).body).toContain('after the cached read');
  });

  test('when a message is flagged, then the next signed-out read no longer shows it', async () => {
    const author = await signedInUser(t.app, { prefix: 'whole-page flagged' });
    await author.visitor.addMessage('soon flagged, whole page');
    expect((await signedOut().get('/public')).body).toContain('soon flagged, whole page');
    expect((await signedOut().get(userUrl(author.username))).body).toContain('soon flagged, whole page');

    await minitwit.flag({ db: t.db, cache: t.cache }, [await messageId('soon flagged, whole page')]);
    expect((await signedOut().get('/public')).body).not.toContain('soon flagged, whole page');
    expect((await signedOut().get(userUrl(author.username))).body).not.toContain('soon flagged, whole page');
  });

  test("when signed-in and signed-out readers take turns, then each sees their own navigation, never the other's", async () => {
    const reader = await signedInUser(t.app, { prefix: 'whole-page reader' });
    for (const url of ['/public', userUrl(reader.username)]) {
      const before = (await signedOut().get(url)).body;
      const mine = (await reader.visitor.get(url)).body;
      const after = (await signedOut().get(url)).body;
      expect(mine).toContain(`sign out [${reader.username}]`);
      for (const page of [before, after]) {
        expect(page).toContain('<a href="/login">sign in</a>');
        expect(page).not.toContain('sign out');
        expect(page).not.toContain('token=');
      }
      expect(mine).not.toContain('<a href="/login">sign in</a>');
    }
  });

  test('when a browser has a flash waiting, then its /public shows the flash once, then the kept page', async () => {
    const leaving = await signedInUser(t.app, { prefix: 'whole-page leaving' });
    await signedOut().get('/public');
    const out = await leaving.visitor.logout();
    expect(out.redirects.at(-1)).toBe('/public');
    expect(flashes(out.body)).toEqual(['You were logged out']);
    expect(flashes((await leaving.visitor.get('/public')).body)).toEqual([]);
  });

  test('when an unknown user is asked for, then a 404 page, not a cached one', async () => {
    const reply = await signedOut().get(userUrl('whole-page nobody'));
    expect(reply.statusCode).toBe(404);
  });
});
