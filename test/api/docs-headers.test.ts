// The API port's documentation (/docs, Swagger UI) is HTML like the web pages, and sends the same security
// headers (issue 18, item 12): a Content-Security-Policy that allows only what Swagger UI loads from us,
// and the rest of helmet's set, as the web pages send it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { cspOf } from '../helpers/csp.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: { TRUST_PROXY: '127.0.0.1' } });
});
afterAll(() => t.close());

/** helmet's headers besides the CSP (and HSTS, sent over TLS only). */
const SECURITY_HEADERS = [
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

const DOCS = ['/docs', '/docs/static/swagger-initializer.js', '/docs/json', '/openapi.json'];

describe('the API documentation', () => {
  test.each(DOCS)(
    "when %s is read, then it has a CSP and the web pages' other security headers",
    async (url) => {
      const web = await t.web.inject({ method: 'GET', url: '/public' });
      const docs = await t.api.inject({ method: 'GET', url });
      expect(docs.statusCode).toBe(200);
      for (const header of SECURITY_HEADERS) expect(docs.headers[header], header).toBe(web.headers[header]);
      const csp = cspOf(docs.headers);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      // 'self', and one <style> element of Swagger UI's by its hash: no 'unsafe-inline'.
      expect(csp.get('style-src')?.[0]).toBe("'self'");
      expect(csp.get('style-src')?.slice(1)).toEqual([expect.stringMatching(/^'sha256-[\w+/]+=*'$/)]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
    },
  );

  test("when the page is read, then every script and stylesheet it loads is one of ours, which 'self' allows", async () => {
    const page = await t.api.inject({ method: 'GET', url: '/docs' });
    const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body!.trim(), 'no inline script').toBe('');
      const src = /src="([^"]+)"/.exec(attributes!)?.[1];
      expect(src).toMatch(/^\/docs\/static\//);
      expect((await t.api.inject({ method: 'GET', url: src! })).statusCode, src).toBe(200);
    }
    expect(page.body).not.toMatch(/<style\b|\sstyle=|\son\w+=/);
    for (const [, href] of page.body.matchAll(/<link rel="stylesheet"[^>]*href="([^"]+)"/g))
      expect(href).toMatch(/^\/docs\/static\//);
  });

  test('when a page came over HTTPS through the trusted proxy, then Strict-Transport-Security is set, as on the web', async () => {
    const reply = await t.api.inject({
      method: 'GET',
      url: '/docs',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(reply.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
