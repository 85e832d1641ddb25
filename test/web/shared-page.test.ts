// Compression: pages, the stylesheet and the script go compressed to browsers that accept it; a cached
// signed-out page is kept compressed with it (src/web/shared-page.ts), the rest by @fastify/compress.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWeb, type TestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/factory.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });

const decoded = (reply: { rawPayload: Buffer; headers: Record<string, unknown> }) => {
  const encoding = reply.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(reply.rawPayload).toString();
  if (encoding === 'gzip') return gunzipSync(reply.rawPayload).toString();
  return reply.rawPayload.toString();
};

describe('a signed-out timeline page, kept in the read cache', () => {
  test.each([
    ['br, gzip, deflate', 'br'],
    ['gzip', 'gzip'],
    ['gzip;q=1, br;q=0', 'gzip'],
  ])(
    'when a browser accepts %j, then the page comes as %s, the same page once decoded',
    async (accept, encoding) => {
      const { username, visitor } = await signedInUser(t.app, { prefix: 'compressed' });
      await visitor.addMessage('a message long enough to be worth compressing, '.repeat(40));
      for (const path of ['/public', `/${username}`]) {
        const plain = await get(path, {});
        expect(plain.headers['content-encoding']).toBeUndefined();
        expect(plain.headers.vary).toContain('accept-encoding');
        // Twice: the first reads and compresses the page, the second is the cached page's bytes.
        for (let i = 0; i < 2; i++) {
          const reply = await get(path, { 'accept-encoding': accept });
          expect(reply.statusCode).toBe(200);
          expect(reply.headers['content-encoding']).toBe(encoding);
          expect(reply.headers.vary).toContain('accept-encoding');
          expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
          expect(Number(reply.headers['content-length'])).toBe(reply.rawPayload.length);
          expect(reply.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
          expect(decoded(reply)).toBe(plain.body);
        }
      }
    },
  );

  test('when a browser accepts no encoding we make, then the page comes as it is', async () => {
    const reply = await get('/public', { 'accept-encoding': 'identity' });
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.body).toContain('<h2>Public Timeline</h2>');
  });
});

describe('other replies', () => {
  test('when the stylesheet and the script are asked for with gzip, then they come compressed', async () => {
    const plain = (await new Visitor(t.app).get('/public')).body;
    const assets = [...plain.matchAll(/(?:href|src)="(\/static\/(?:style\.css|pages\.js)\?v=\w+)"/g)];
    expect(assets).toHaveLength(2);
    for (const [, asset] of assets) {
      const reply = await get(asset!, { 'accept-encoding': 'gzip' });
      expect(reply.headers['content-encoding']).toBe('gzip');
      expect(decoded(reply).length).toBeGreaterThan(reply.rawPayload.length);
    }
  });

  test('when a page holds the session token (signed in), then it is never compressed (BREACH), a 404 page too', async () => {
    const { username, visitor } = await signedInUser(t.app, { prefix: 'reader' });
    for (const path of ['/', '/public', `/${username}`, '/no/such/page']) {
      const page = await visitor.get(path, { 'accept-encoding': 'br, gzip' });
      expect(page.headers['content-encoding']).toBeUndefined();
      expect(page.body).toMatch(/\/logout\?token=[\w-]+/);
    }
    // Its stylesheet still is: it holds no secret.
    const css = /href="(\/static\/style\.css\?v=\w+)"/.exec((await visitor.get('/')).body)![1]!;
    expect((await visitor.get(css, { 'accept-encoding': 'gzip' })).headers['content-encoding']).toBe('gzip');
  });

  test('when a reply is small (robots.txt), then it is not compressed', async () => {
    const reply = await new Visitor(t.app).get('/robots.txt', { 'accept-encoding': 'br, gzip' });
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.body).toBe('User-agent: *\nAllow: /\n');
  });
});
