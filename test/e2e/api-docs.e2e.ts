// The API's documentation in a real browser (headless Chromium): under the Content-Security-Policy /docs now
// sends (issue 18, item 12), Swagger UI still renders every endpoint, and the browser reports no violation.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi, type TestApp } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';

let t: TestApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium"`,
    );
  t = await startApi();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

test('when /docs is opened, then Swagger UI lists every endpoint and the CSP blocks nothing', async () => {
  const page = await browser.newPage();
  const violations: string[] = [];
  // Injected by the browser's protocol, not by the page: the page's own CSP does not apply to it.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')))`,
  });
  page.on('console', (message) => {
    if (/CSP violation|Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const reply = await page.goto(`${base}/docs`);
  expect(reply?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.locator('.swagger-ui .info .title').waitFor();
  expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('MiniTwit simulator API');
  const paths = await page.locator('.opblock-summary-path').allInnerTexts();
  expect(new Set(paths.map((path) => path.replace(/\u200b/g, '')))).toEqual(
    new Set(['/register', '/latest', '/msgs', '/msgs/{username}', '/fllws/{username}']),
  );
  // Opening an operation renders its parameters and replies (more of Swagger UI's markup and styles).
  await page.locator('.opblock-summary-path', { hasText: '/latest' }).click();
  await page.locator('.opblock-body .responses-wrapper').waitFor();
  // "Try it out" calls the API from the page (connect-src 'self'), and shows the live reply.
  await page.locator('.try-out__btn').click();
  await page.locator('.execute').click();
  await page.locator('.live-responses-table tr.response .response-col_status').first().waitFor();
  expect(
    await page.locator('.live-responses-table tr.response .response-col_status').first().innerText(),
  ).toMatch(/\d{3}/);
  expect(violations).toEqual([]);
});
