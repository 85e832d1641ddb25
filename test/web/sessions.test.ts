// Sessions end: at sign-out (everywhere, a copied cookie too), when idle too long, and at an absolute
// age; the secret that signs them can be rotated without signing everyone out.
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { appsOn, startWeb, type TestApp } from '../helpers/app.js';
import { Visitor } from '../helpers/web.js';

const DAY = 24 * 3600 * 1000;
const OLD_SECRET = 'the-secret-being-rotated-out-0123456789abcdef';
const NEW_SECRET = 'the-secret-being-rotated-in-0123456789abcdef';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb({ SESSION_SECRET: OLD_SECRET, LOG_LEVEL: 'silent' });
});
afterAll(() => t.close());
afterEach(() => vi.useRealTimers());

const signedInAs = async (visitor: Visitor) =>
  /sign out \[([^\]]+)\]/.exec((await visitor.get('/public')).body)?.[1];

async function signedInVisitor(name: string, app = t.app) {
  const visitor = new Visitor(app);
  await visitor.registerAndLogin(name);
  expect(await signedInAs(visitor)).toBe(name);
  return visitor;
}

const copyOf = (visitor: Visitor, app = t.app) => {
  const copy = new Visitor(app);
  for (const [name, value] of visitor.cookies) copy.cookies.set(name, value);
  return copy;
};

const sessionCookie = (reply: { cookies: { name: string; value: string; maxAge?: number }[] }) =>
  reply.cookies.find((cookie) => cookie.name === 'session');

describe('signing out', () => {
  test('when a user signs out, then a copy of their cookie taken before is signed out too', async () => {
    const alice = await signedInVisitor('alice');
    const stolen = copyOf(alice);
    await alice.logout();
    expect(await signedInAs(alice)).toBeUndefined();
    expect(await signedInAs(stolen)).toBeUndefined();
    expect((await stolen.get('/bob-does-not-matter/follow')).statusCode).toBe(401);
  });

  test('when a user signs out on one device, then their other sessions end too, and signing in again works', async () => {
    const laptop = await signedInVisitor('carol');
    const phone = new Visitor(t.app);
    await phone.login('carol');
    await phone.logout();
    expect(await signedInAs(laptop)).toBeUndefined();
    await laptop.login('carol');
    expect(await signedInAs(laptop)).toBe('carol');
  });
});

describe('expiry', () => {
  test('when signing in, then the session cookie carries a Max-Age of the idle timeout, so the browser drops it too', async () => {
    await new Visitor(t.app).register('dave');
    const reply = await new Visitor(t.app).post(
      '/login',
      { username: 'dave', password: 'default' },
      {},
      false,
    );
    expect(reply.statusCode).toBe(302);
    expect(sessionCookie(reply)?.maxAge).toBe(7 * 24 * 3600);
  });

  test('when a session is unused for longer than the idle timeout, then it has ended', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const erin = await signedInVisitor('erin');
    vi.setSystemTime(Date.now() + 7 * DAY + 60_000);
    expect(await signedInAs(erin)).toBeUndefined();
  });

  test('when a session is used every few days, then it lives past the idle timeout, but not past the absolute age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const frank = await signedInVisitor('frank');
    for (let day = 5; day <= 25; day += 5) {
      vi.setSystemTime(Date.now() + 5 * DAY);
      expect(await signedInAs(frank)).toBe('frank');
    }
    vi.setSystemTime(Date.now() + 5 * DAY + 60_000); // 30 days and a minute after signing in
    expect(await signedInAs(frank)).toBeUndefined();
  });
});

describe('rotating the secret', () => {
  /** The web app of another replica on the same database, with other secrets. */
  const webWith = (env: Record<string, string>) => appsOn(t, env);

  test('when the old secret is given as SESSION_SECRET_PREVIOUS, then its sessions go on and are re-signed with the new one', async () => {
    const gina = await signedInVisitor('gina');
    const rotated = await webWith({ SESSION_SECRET: NEW_SECRET, SESSION_SECRET_PREVIOUS: OLD_SECRET });
    try {
      const onRotated = copyOf(gina, rotated.web);
      const reply = await onRotated.get('/public');
      expect(reply.body).toContain('sign out [gina]');
      expect(sessionCookie(reply)).toBeDefined();
      // Re-signed: the cookie now works where only the new secret is known.
      const newOnly = await webWith({ SESSION_SECRET: NEW_SECRET });
      try {
        expect(await signedInAs(copyOf(onRotated, newOnly.web))).toBe('gina');
      } finally {
        await newOnly.close();
      }
    } finally {
      await rotated.close();
    }
  });

  test('when the old secret is not given, then its sessions are signed out', async () => {
    const hank = await signedInVisitor('hank');
    const newOnly = await webWith({ SESSION_SECRET: NEW_SECRET });
    try {
      expect(await signedInAs(copyOf(hank, newOnly.web))).toBeUndefined();
    } finally {
      await newOnly.close();
    }
  });
});
