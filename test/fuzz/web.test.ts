// Property-based fuzzing of the web app's forms and state-changing links (issue 11, item 8): sign-up,
// sign-in, posting, follow, unfollow, sign-out, with and without a session (valid, tampered, ended, forged)
// and its CSRF token (right, wrong, repeated), shaped as a browser's or a script's request, with odd
// methods, bodies, encodings and paths. No reply is a 5xx, the app still answers afterwards, and a refused
// request (a 4xx, or a form shown again with its error) changes nothing in the database but the abuse
// limits' counters for sign-in and sign-up.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWeb, type TestApp } from '../helpers/app.js';
import { Visitor } from '../helpers/web.js';
import {
  anyText,
  contentType,
  formBody,
  FUZZ_RUNS,
  Fuzzer,
  method,
  pathSegment,
  queryString,
  strangeBody,
  type FuzzRequest,
} from './harness.js';

const NAMES = ['alice', 'bob', 'carol', 'nobody'];
const PASSWORD = 'default';

let t: TestApp;
let fuzzer: Fuzzer;
/** carol, signed in: her session cookie and its CSRF token, replaced when a fuzzed sign-out ends it. */
let session: { cookie: string; token: string; ended: string[] } | undefined;

async function signIn() {
  const carol = new Visitor(t.app);
  await carol.login('carol', PASSWORD);
  const page = await carol.get('/');
  const token = /name=csrf_token value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no token on carol's page: ${page.statusCode}`);
  const ended = session ? [...session.ended, session.cookie] : [];
  session = { cookie: `session=${carol.cookies.get('session')}`, token, ended: ended.slice(-5) };
  fuzzer.forget();
}

/** A sign-in or sign-up form that comes back (200) is the form shown again with its error: refused. */
const refused = (sent: FuzzRequest, reply: LightMyRequestResponse) =>
  reply.statusCode >= 400 ||
  (reply.statusCode === 200 && sent.method === 'POST' && /^\/(login|register)\b/.test(sent.url));

beforeAll(async () => {
  t = await startWeb({ LOG_LEVEL: 'silent' });
  for (const name of NAMES.slice(0, 3)) await new Visitor(t.app).register(name, PASSWORD);
  fuzzer = new Fuzzer(
    t.app,
    t.db,
    (sent) => ({ rateLimits: /^\/(login|register)\b/.test(sent.url) }),
    refused,
  );
  await signIn();
});
afterAll(async () => {
  console.log(fuzzer.counter.summary('web app'));
  await t.close();
});

/** Which session a request carries; resolved against the current one when it is sent. */
type SessionChoice = 'none' | 'valid' | 'tampered' | 'ended' | 'forged' | 'garbage';
/** Which CSRF token it carries. */
type TokenChoice = 'none' | 'valid' | 'wrong' | 'twice' | 'long';

const browserHeaders = fc.record(
  {
    'sec-fetch-site': fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', ''),
    'sec-fetch-mode': fc.constantFrom('navigate', 'cors'),
    origin: fc.constantFrom('http://localhost:80', 'http://localhost', 'http://evil.example', 'null', ''),
    referer: fc.constantFrom('http://localhost/public', 'http://evil.example/', 'not a url'),
    'upgrade-insecure-requests': fc.constant('1'),
    accept: fc.constantFrom('text/html,*/*;q=0.8', '*/*', 'application/json'),
    'user-agent': fc.constantFrom('Mozilla/5.0 (X11; Linux x86_64)', 'python-requests/2.31.0', 'curl/8'),
    'x-forwarded-proto': fc.constantFrom('https', 'gopher'),
    host: fc.constantFrom('localhost', 'evil.example', 'localhost:5000', '[::1]', ''),
  },
  { requiredKeys: [] },
);

const token = fc.constantFrom<TokenChoice>('none', 'valid', 'valid', 'wrong', 'twice', 'long');
const text = fc.oneof({ weight: 3, arbitrary: anyText }, { weight: 1, arbitrary: fc.constantFrom(...NAMES) });
const fieldText = fc.oneof(text, fc.constant(PASSWORD));

/** The forms and links, each nearly right or wrong in many ways. */
const target = fc.oneof(
  fc.record({
    verb: fc.constant('POST'),
    path: fc.constantFrom('/register', '/login'),
    form: formBody({ username: fieldText, email: fieldText, password: fieldText, password2: fieldText }),
  }),
  fc.record({
    verb: fc.constant('POST'),
    path: fc.constant('/add_message'),
    form: formBody({ text, csrf_token: fc.constantFrom('$TOKEN', 'x', '') }),
  }),
  fc.record({
    verb: fc.constant('GET'),
    path: fc
      .tuple(pathSegment(NAMES), fc.constantFrom('follow', 'unfollow', 'follow/', 'x'))
      .map(([name, action]) => `/${name}/${action}`),
    form: fc.constant(undefined),
  }),
  fc.record({
    verb: fc.constant('GET'),
    path: fc.oneof(
      fc.constantFrom(
        '/logout',
        '/',
        '/public',
        '/login',
        '/register',
        '/static/style.css',
        '/static/..%2f..%2fpackage.json',
      ),
      pathSegment(NAMES).map((name) => `/${name}`),
    ),
    form: fc.constant(undefined),
  }),
);

const webRequest = fc.record({
  target,
  session: fc.constantFrom<SessionChoice>(
    'none',
    'valid',
    'valid',
    'valid',
    'tampered',
    'ended',
    'forged',
    'garbage',
  ),
  token,
  query: fc.option(queryString(['token', 'before']), { freq: 3, nil: undefined }),
  browser: fc.option(browserHeaders, { freq: 2, nil: undefined }),
  change: fc.record(
    { method, contentType, body: strangeBody, flash: fc.constantFrom('flash=x', 'flash=s%3Aabc.def') },
    { requiredKeys: [] },
  ),
});

type WebRequest = typeof webRequest extends fc.Arbitrary<infer T> ? T : never;

function cookieFor(choice: SessionChoice): string | undefined {
  const current = session!.cookie;
  switch (choice) {
    case 'none':
      return undefined;
    case 'valid':
      return current;
    case 'tampered':
      // The user id in the signed value changed: the signature no longer matches.
      return current.replace(
        /session=s%3A(\d)/,
        (_all, digit: string) => `session=s%3A${(Number(digit) + 1) % 10}`,
      );
    case 'ended':
      return session!.ended.at(-1) ?? current;
    case 'forged':
      return 'session=1.0.1700000000.1700000000.AAAAAAAAAAAAAAAAAAAAAA';
    case 'garbage':
      return 'session=%ZZ; =; ;;session=s%3A';
  }
}

function tokenQuery(choice: TokenChoice): string {
  const value = session!.token;
  return {
    none: '',
    valid: `token=${value}`,
    wrong: `token=${value.slice(1)}x`,
    twice: `token=${value}&token=${value}`,
    long: `token=${'t'.repeat(5000)}`,
  }[choice];
}

/** The request as sent, with the session and token of the moment (a sign-out replaces them). */
function build(r: WebRequest): FuzzRequest {
  const cookie = [cookieFor(r.session), r.change.flash].filter(Boolean).join('; ');
  const tokenPart = r.target.form === undefined ? tokenQuery(r.token) : '';
  const query = r.query ?? (tokenPart ? `?${tokenPart}` : '');
  const form = r.target.form?.replace('%24TOKEN', session!.token);
  const payload = r.change.body ?? form;
  return {
    method: r.change.method ?? r.target.verb,
    url: r.target.path + query,
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(payload === undefined
        ? {}
        : { 'content-type': r.change.contentType ?? 'application/x-www-form-urlencoded' }),
      ...Object.fromEntries(Object.entries(r.browser ?? {}).filter(([, v]) => v !== undefined)),
    },
    ...(payload === undefined ? {} : { payload }),
  };
}

test(`when ${FUZZ_RUNS} batches of malformed requests reach the forms and links, then no 5xx and a refusal changes nothing`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(webRequest, { minLength: 1, maxLength: 4 }), async (batch) => {
      for (const generated of batch) {
        const sent = build(generated);
        const reply = await fuzzer.send(sent);
        // Signed out (carol's every session ended): sign in again for the next requests.
        if (sent.url.startsWith('/logout') && reply.statusCode === 302 && generated.session === 'valid')
          await signIn();
      }
    }),
    { numRuns: FUZZ_RUNS },
  );
  // Still up, and still right: a visitor signs in, posts and reads it back.
  expect((await t.metrics.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  const dave = new Visitor(t.app);
  await dave.registerAndLogin('dave');
  await dave.addMessage('after the fuzz');
  const page = await dave.get('/');
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain('after the fuzz');
}, 600_000);
