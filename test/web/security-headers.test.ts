// What every page tells the browser: a strict Content-Security-Policy, the referrer policy, HSTS over TLS
// only, no caching of signed-in pages; and the requests Fastify itself refuses (a malformed URL, an
// over-long one) get the same treatment as any other: our page, our headers, a request id, a log line
// and a metric.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appsOn, startApp, type TestApp } from '../helpers/app.js';
import { cspOf } from '../helpers/csp.js';
import { parseSamples, valueOf } from '../observability/prometheus-text.js';
import { field } from '../observability/ecs-fields.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
let signedIn: Visitor;
beforeAll(async () => {
  t = await startApp({ env: { TRUST_PROXY: '127.0.0.1' } });
  await new Visitor(t.web).register('other');
  signedIn = new Visitor(t.web);
  await signedIn.registerAndLogin('me');
  await signedIn.addMessage('a message');
});
afterAll(() => t.close());

const PAGES = ['/', '/public', '/me', '/other', '/login', '/register', '/no-such-user', '/a/b/c'];

describe('Content-Security-Policy', () => {
  test.each(PAGES)(
    "when %s is shown, then only our own files load: no inline script or style, no other site's image, no frames, plugins or <base>",
    async (path) => {
      const reply = await signedIn.get(path, {}, false);
      const csp = cspOf(reply.headers);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('style-src')).toEqual(["'self'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('img-src')).toEqual(["'self'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
    },
  );

  test.each(PAGES)(
    'when %s is rendered, then it holds no inline script or style the policy would block',
    async (path) => {
      const { body } = await signedIn.get(path);
      expect(body).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
      // One script, ours, from a file: no inline code.
      expect([...body.matchAll(/<script[^>]*>/gi)].map(([tag]) => tag)).toEqual([
        expect.stringMatching(/^<script src="\/static\/pages\.js\?v=[0-9a-f]{12}" defer>$/),
      ]);
    },
  );
});

describe('other headers', () => {
  test('when a page is shown, then Referrer-Policy is same-origin and the page may not be framed', async () => {
    const reply = await signedIn.get('/public');
    expect(reply.headers['referrer-policy']).toBe('same-origin');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  test('when the page came over plain HTTP, then no Strict-Transport-Security', async () => {
    expect((await signedIn.get('/public')).headers['strict-transport-security']).toBeUndefined();
  });

  test('when it came over HTTPS through the trusted proxy, then Strict-Transport-Security is set', async () => {
    const reply = await signedIn.get('/public', { 'x-forwarded-proto': 'https' });
    expect(reply.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  test('when a client that is not a trusted proxy claims HTTPS, then no Strict-Transport-Security', async () => {
    const direct = await appsOn(t, { TRUST_PROXY: 'false' });
    try {
      const reply = await new Visitor(direct.web).get('/public', { 'x-forwarded-proto': 'https' });
      expect(reply.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await direct.close();
    }
  });

  test.each(['/', '/public', '/me', '/other'])(
    'when %s is shown to a signed-in person, then Cache-Control: no-store',
    async (path) => {
      expect((await signedIn.get(path)).headers['cache-control']).toBe('no-store');
    },
  );

  test('when signing in, then the reply that sets the session is not stored either', async () => {
    const reply = await new Visitor(t.web).post('/login', { username: 'me', password: 'default' }, {}, false);
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  test('when a visitor is signed out, then the public timeline may be cached, and the stylesheet is cached for a day', async () => {
    const anonymous = new Visitor(t.web);
    expect((await anonymous.get('/public')).headers['cache-control']).toBeUndefined();
    const page = (await signedIn.get('/public')).body;
    const stylesheet = /href="(\/static\/style\.css\?v=\w+)"/.exec(page)![1]!;
    expect((await signedIn.get(stylesheet)).headers['cache-control']).toBe('public, max-age=86400');
  });
});

describe('requests Fastify refuses before routing', () => {
  const metric = async (role: string, status: string) =>
    valueOf(
      parseSamples((await t.metrics.inject({ method: 'GET', url: '/metrics' })).body),
      'minitwit_http_requests_total',
      {
        role,
        route: 'unmatched',
        status_code: status,
      },
    );
  const lineOf = (requestId: string) =>
    t
      .logs()
      .find(
        (line) => field(line, 'http.request.id') === requestId && field(line, 'http.response.status_code'),
      );

  test.each([
    ['/%ED%A0%80', 400, 'malformed'],
    ['/%E0%A4%A', 400, 'malformed'],
    [`/${'x'.repeat(1100)}/follow`, 414, 'too long'],
  ])(
    'when the web gets %s, then %i as a MiniTwit page with our headers, a request id, a log line and a metric',
    async (url, status, words) => {
      const before = await metric('web', String(status));
      const reply = await t.web.inject({ method: 'GET', url });
      expect(reply.statusCode).toBe(status);
      expect(reply.headers['content-type']).toMatch(/^text\/html/);
      expect(reply.body).toContain('<h1>MiniTwit</h1>');
      expect(reply.body).toContain(words);
      expect(cspOf(reply.headers).get('default-src')).toEqual(["'none'"]);
      expect(reply.headers['x-frame-options']).toBe('DENY');
      const requestId = String(reply.headers['x-request-id']);
      expect(requestId).toMatch(/^[\w-]{8,}$/);
      const line = lineOf(requestId);
      expect(field(line!, 'http.response.status_code')).toBe(status);
      expect(field(line!, 'url.path')).toBe(url);
      expect(await metric('web', String(status))).toBe(before + 1);
    },
  );

  test('when the API gets a malformed URL, then 400 JSON with a request id, a log line and a metric', async () => {
    const before = await metric('api', '400');
    const reply = await t.api.inject({ method: 'GET', url: '/msgs/%ED%A0%80' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toEqual({ status: 400, error_msg: expect.stringContaining('malformed') });
    expect(reply.headers['x-request-id']).toBeDefined();
    expect(lineOf(String(reply.headers['x-request-id']))).toBeDefined();
    expect(await metric('api', '400')).toBe(before + 1);
  });

  test('when a request is not valid HTTP, then 400 with a request id, counted and logged (it never becomes a request)', async () => {
    const errors = async () =>
      valueOf(
        parseSamples((await t.metrics.inject({ method: 'GET', url: '/metrics' })).body),
        'minitwit_http_errors_total',
        { role: 'web', route: 'unparsed' },
      );
    const before = await errors();
    await t.web.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.web.server.address() as AddressInfo;
    const response = await new Promise<string>((resolve, reject) => {
      let data = '';
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
      );
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const requestId = /\r\nX-Request-Id: ([\w-]+)\r\n/.exec(response)?.[1];
    expect(requestId).toBeDefined();
    expect(response).toContain('{"status":400,"error_msg":"The request is not valid HTTP"}');
    expect(await errors()).toBe(before + 1);
    expect(t.logs().some((line) => line['http.request.id'] === requestId)).toBe(true);
  });
});
