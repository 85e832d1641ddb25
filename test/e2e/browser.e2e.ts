// A person in a real browser (headless Chromium): signs up exactly as the course's browser test does,
// signs in, posts, follows and unfollows someone, signs out; and another site cannot act for them. Every
// page is watched for Content-Security-Policy violations: the policy must block nothing our pages use.
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWeb, type TestApp } from '../helpers/app.js';
import { Visitor } from '../helpers/web.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots of the main pages go (docs/screenshots holds the README's two). */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 375, height: 812 } } as const;
/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: what axe checks here. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

let t: TestApp;
let browser: Browser;
let page: Page;
let base: string;
/** Every CSP violation the browser reported, with the page it happened on. */
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium"`,
    );
  t = await startWeb();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const other = new Visitor(t.app);
  await other.registerAndLogin('Other');
  await other.addMessage("Other's first message");
  // Enough older messages for a second page (older than the first, so its first page is as before).
  await t.db.query(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT user_id, 'An older message by Other, number ' || i, timestamptz '2020-01-01' + i * interval '1 hour'
     FROM users, generate_series(1, 35) AS i WHERE username = 'Other'`,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  // A page of a context of its own: axe opens a page beside it in the same context.
  page = await (await browser.newContext()).newPage();
  // Injected by the browser's protocol, not by the page: the page's own CSP does not apply to it.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')))`,
  });
  page.on('console', (message) => {
    if (/CSP violation|Content Security Policy/i.test(message.text()))
      cspViolations.push(`${page.url()}: ${message.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Does `action` (a click, Enter) and waits until the page it leads to, after redirects, has loaded. */
const andWait = async (action: Promise<unknown>) => {
  await Promise.all([page.waitForNavigation(), action]);
};
const flashTexts = () => page.locator('ul.flashes > li').allInnerTexts();
const title = () => page.title();

describe('a person using MiniTwit in a browser', () => {
  test('when signing up through the form as the course test does, then the single flash is the registration message', async () => {
    await page.goto(`${base}/register`);
    await page.locator('.actions').waitFor();
    const inputs = page.locator('input');
    for (const [index, text] of ['Me', 'me@some.where', 'secure123', 'secure123'].entries())
      await inputs.nth(index).pressSequentially(text);
    await andWait(inputs.nth(4).press('Enter'));
    expect(page.url()).toBe(`${base}/login`);
    expect(await page.locator('ul.flashes').innerText()).toBe(
      'You were successfully registered and can login now',
    );
    expect(await title()).toBe('Sign In | MiniTwit');
  });

  test('when signing in, then "You were logged in" on My Timeline with the twitbox', async () => {
    await page.fill('input[name=username]', 'Me');
    await page.fill('input[name=password]', 'secure123');
    await andWait(page.click('input[type=submit][value="Sign In"]'));
    expect(page.url()).toBe(`${base}/`);
    expect(await flashTexts()).toEqual(['You were logged in']);
    expect(await title()).toBe('My Timeline | MiniTwit');
    expect(await page.locator('div.twitbox h3').innerText()).toBe("What's on your mind Me?");
    expect(await page.locator('.navigation').innerText()).toBe(
      'my timeline | public timeline | sign out [Me]',
    );
  });

  test('when posting, then "Your message was recorded" and the message shows as typed', async () => {
    await page.fill('textarea[name=text]', 'Hello from a browser <3 & "friends"');
    await andWait(page.click('input[type=submit][value=Share]'));
    expect(await flashTexts()).toEqual(['Your message was recorded']);
    const first = page.locator('ul.messages > li').first();
    expect(await first.locator('strong').innerText()).toBe('Me');
    expect(await first.innerText()).toContain('Hello from a browser <3 & "friends"');
    expect(await first.locator('small').innerText()).toBe('— just now');
    expect(await first.locator('time').getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  });

  test('when following Other from their page, then their messages join My Timeline', async () => {
    await andWait(page.click('text=public timeline'));
    expect(await title()).toBe('Public Timeline | MiniTwit');
    await andWait(page.click('ul.messages a:text-is("Other")'));
    expect(await title()).toBe("Other's Timeline | MiniTwit");
    expect(await page.locator('div.followstatus').innerText()).toBe(
      'You are not yet following this user. Follow user.',
    );
    await andWait(page.click('a.follow'));
    expect(await flashTexts()).toEqual(['You are now following "Other"']);
    expect(await page.locator('div.followstatus').innerText()).toContain(
      'You are currently following this user.',
    );
    await andWait(page.click('text=my timeline'));
    expect(await page.locator('ul.messages').innerText()).toContain("Other's first message");
  });

  test('when unfollowing Other, then "You are no longer following" and their messages leave My Timeline', async () => {
    await page.goto(`${base}/Other`);
    await andWait(page.click('a.unfollow'));
    expect(await flashTexts()).toEqual(['You are no longer following "Other"']);
    await andWait(page.click('text=my timeline'));
    expect(await page.locator('ul.messages').innerText()).not.toContain("Other's first message");
  });

  test('when a follow link is opened from outside MiniTwit, then it is refused and nothing changes', async () => {
    const reply = await page.goto(`${base}/Other/follow`);
    expect(reply?.status()).toBe(403);
    expect(await page.locator('h2').innerText()).toBe('Forbidden');
    await page.goto(`${base}/Other`);
    expect(await page.locator('div.followstatus').innerText()).toContain(
      'You are not yet following this user.',
    );
  });

  test('when another site posts a message form, then it is refused and nothing is stored', async () => {
    await page.route('http://evil.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form method=post action="${base}/add_message"><input name=text value=forged></form>
               <script>document.forms[0].submit()</script>`,
      }),
    );
    const refused = page.waitForResponse(`${base}/add_message`);
    await page.goto('http://evil.test/');
    expect((await refused).status()).toBe(403);
    const rows = await t.db.query("SELECT 1 FROM messages WHERE text = 'forged'");
    expect(rows).toHaveLength(0);
  });

  test('when the screen is a phone, then the page fits without sideways scrolling, in MiniTwit colours', async () => {
    await page.setViewportSize({ width: 375, height: 700 });
    await page.goto(`${base}/`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe(
      'rgb(202, 236, 233)',
    );
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('when every kind of page has been shown, then the browser reported no Content-Security-Policy violation', async () => {
    for (const path of ['/', '/public', '/Other', '/Me', '/login', '/register', '/nobody-here', '/%ED%A0%80'])
      await page.goto(`${base}${path}`);
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe(
      'rgb(202, 236, 233)',
    );
    expect(cspViolations).toEqual([]);
  });

  test('when a message holds a link, lines and right-to-left text, then the link works, the lines stay and the text is isolated', async () => {
    await page.goto(`${base}/`);
    const field = page.locator('textarea[name=text]');
    await field.fill('abc');
    expect(await page.locator('#text-limit').innerText()).toBe('9,997 of 10,000 characters left.');
    await field.fill('مرحبا بالعالم\nsee https://example.org/a?b=1&c=2 <b>');
    await andWait(page.click('input[type=submit][value=Share]'));
    const first = page.locator('ul.messages > li').first();
    const link = first.locator('a[href="https://example.org/a?b=1&c=2"]');
    expect(await link.getAttribute('rel')).toBe('nofollow ugc noopener');
    expect(await first.locator('.text').innerText()).toBe(
      'مرحبا بالعالم\nsee https://example.org/a?b=1&c=2 <b>',
    );
    expect(await first.locator('.text').getAttribute('dir')).toBe('auto');
  });

  test(
    'when every page is checked by axe (signed in and out, desktop and phone, light and dark), then no WCAG 2.2 A or AA violation',
    { timeout: 600_000 },
    async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const signedOut = await (await browser.newContext()).newPage();
      const found: string[] = [];
      const check = async (who: Page, state: string) => {
        const { violations } = await new AxeBuilder({ page: who }).withTags(WCAG_AA).analyze();
        for (const v of violations)
          found.push(`${state} ${who.url()}: ${v.id} (${v.nodes.length}) ${v.nodes[0]?.target.join(' ')}`);
        // Landmarks (axe's best-practice rules, not WCAG's): one main, a navigation, a header and a footer.
        for (const landmark of ['main', 'nav', 'header', 'footer'])
          if ((await who.locator(landmark).count()) !== 1)
            found.push(`${state} ${who.url()}: no single <${landmark}>`);
      };
      // A newcomer, signed in in a context of their own: an empty timeline, with its guidance.
      const newcomer = new Visitor(t.app);
      await newcomer.registerAndLogin('Newcomer');
      const newcomerContext = await browser.newContext();
      await newcomerContext.addCookies(
        [...newcomer.cookies].map(([name, value]) => ({ name, value, url: base })),
      );
      const fresh = await newcomerContext.newPage();
      /** Submits the page's form without the browser's own checks (`required`): the server's errors show. */
      const submitUnchecked = (who: Page, selector: string) =>
        who.evaluate<void>(
          `(() => { const form = document.querySelector(${JSON.stringify(selector)}); form.noValidate = true; form.requestSubmit(); })()`,
        );
      for (const [size, viewport] of Object.entries(SIZES))
        for (const colorScheme of ['light', 'dark'] as const) {
          for (const who of [page, signedOut, fresh]) {
            await who.setViewportSize(viewport);
            await who.emulateMedia({ colorScheme });
          }
          const state = `${size} ${colorScheme}`;
          for (const path of ['/', '/public', '/Other', '/Me', '/nobody-here']) {
            await page.goto(`${base}${path}`);
            await check(page, `${state} signed in`);
            if (colorScheme === 'light' && path === '/')
              await page.screenshot({ path: `${SCREENSHOTS}/${size}.png`, fullPage: true });
          }
          for (const path of ['/public', '/Other', '/login', '/register']) {
            await signedOut.goto(`${base}${path}`);
            await check(signedOut, `${state} signed out`);
          }
          // A second page of Other's, with links to newer and older; counts of followers and following.
          await page.goto(`${base}/Other`);
          await Promise.all([page.waitForNavigation(), page.click('a.older')]);
          expect(await page.locator('a.newer').count()).toBe(1);
          expect(await page.locator('p.counts').innerText()).toMatch(/^\d+ followers? · \d+ following$/);
          await check(page, `${state} signed in, an older page`);
          if (colorScheme === 'light' && size === 'desktop')
            await page.screenshot({ path: `${SCREENSHOTS}/profile-older-page.png`, fullPage: true });
          // A post refused (empty, past the browser's own check): the composer says why beside it.
          await page.goto(`${base}/`);
          await Promise.all([page.waitForNavigation(), submitUnchecked(page, 'div.twitbox form')]);
          expect(await page.locator('#text-error').innerText()).toContain('Your message is empty');
          await check(page, `${state} signed in, a refused post`);
          // An empty timeline: what to do next.
          await fresh.goto(`${base}/`);
          expect(await fresh.locator('div.guidance').innerText()).toContain('Share your first message');
          await check(fresh, `${state} signed in, an empty timeline`);
          if (colorScheme === 'light' && size === 'desktop')
            await fresh.screenshot({ path: `${SCREENSHOTS}/empty-timeline.png`, fullPage: true });
          // Sign-up errors, all at once beside their fields.
          await signedOut.goto(`${base}/register`);
          await Promise.all([signedOut.waitForNavigation(), submitUnchecked(signedOut, 'form')]);
          expect(await signedOut.locator('div.error').count()).toBe(3);
          expect(await signedOut.evaluate<string | undefined>('document.activeElement?.id')).toBe('username');
          await check(signedOut, `${state} signed out, sign-up errors`);
          if (colorScheme === 'light' && size === 'phone')
            await signedOut.screenshot({ path: `${SCREENSHOTS}/sign-up-errors-phone.png`, fullPage: true });
          // A post sent with no session: the sign-in form, holding the message.
          await signedOut.goto(`${base}/public`);
          await Promise.all([
            signedOut.waitForNavigation(),
            // Run by the browser's protocol, as the test's own script, not the page's.
            signedOut.evaluate<void>(
              `(() => { const form = document.createElement('form'); form.method = 'post'; form.action = '/add_message';
                const text = document.createElement('textarea'); text.name = 'text';
                text.value = 'A message written as the session ended'; form.append(text);
                document.body.append(form); form.submit(); })()`,
            ),
          ]);
          expect(await signedOut.locator('textarea#text').inputValue()).toBe(
            'A message written as the session ended',
          );
          await check(signedOut, `${state} signed out, a post kept for signing in`);
          await signedOut.goto(`${base}/login`);
          await signedOut.fill('input[name=username]', 'Me');
          await signedOut.fill('input[name=password]', 'wrong password');
          await Promise.all([signedOut.waitForNavigation(), signedOut.click('input[type=submit]')]);
          expect(await signedOut.locator('div.error').innerText()).toContain('Invalid password');
          await check(signedOut, `${state} signed out, a wrong password`);
          expect(
            await signedOut.evaluate<number>('document.documentElement.scrollWidth'),
          ).toBeLessThanOrEqual(viewport.width);
        }
      await signedOut.close();
      await newcomerContext.close();
      await page.setViewportSize(SIZES.desktop);
      await page.emulateMedia({ colorScheme: 'light' });
      expect(found).toEqual([]);
    },
  );

  test('when signing out, then "You were logged out" on the public timeline', async () => {
    await page.goto(`${base}/`);
    await andWait(page.click('text=sign out [Me]'));
    expect(page.url()).toBe(`${base}/public`);
    expect(await flashTexts()).toEqual(['You were logged out']);
    expect(await title()).toBe('Public Timeline | MiniTwit');
    expect(await page.locator('.navigation').innerText()).toBe('public timeline | sign up | sign in');
    await page.reload();
    expect(await flashTexts()).toEqual([]);
  });
});
