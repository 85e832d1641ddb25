// Property-based fuzzing of the simulator API (issue 11, item 8): malformed requests of every kind at every
// endpoint, on the real app and a real database. No reply is a 5xx, the app still answers afterwards, and
// a refused request changes nothing in the database but the simulator's `latest` (recorded for an
// authenticated request before its body is read, as the reference does) and the sign-up counters.
// `npm test` runs a short version; CI's long run sets FUZZ_RUNS (.ci/steps/45-fuzz.sh).
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi, type TestApp } from '../helpers/app.js';
import { basicAuthorization } from '../../scripts/replay/simulator-requests.js';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import { register, SIMULATOR_AUTH, sim } from '../helpers/simulator.js';
import {
  anyText,
  contentType,
  fieldsObject,
  FUZZ_RUNS,
  Fuzzer,
  method,
  oddValue,
  pathSegment,
  queryString,
  queryValues,
  strangeBody,
  type FuzzRequest,
} from './harness.js';

let t: TestApp;
let fuzzer: Fuzzer;
const NAMES = ['alice', 'bob', 'Cheryll Ebbers', 'nobody'];

beforeAll(async () => {
  t = await startApi({ LOG_LEVEL: 'silent' });
  for (const name of NAMES.slice(0, 3)) await register(t.app, name);
  fuzzer = new Fuzzer(t.app, t.db, allowedFor);
});
afterAll(async () => {
  console.log(fuzzer.counter.summary('simulator API'));
  await t.close();
});

const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.constant(SIMULATOR_AUTH) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Basic',
      'Basic ',
      'Basic ====',
      `${SIMULATOR_AUTH} `,
      SIMULATOR_AUTH.toLowerCase(),
      SIMULATOR_AUTH.replace('Basic ', 'Basic   '),
      SIMULATOR_AUTH.replace('Basic', 'Bearer'),
      basicAuthorization(
        COURSE_SIMULATOR_CREDENTIALS.username,
        COURSE_SIMULATOR_CREDENTIALS.password.slice(0, -1),
      ),
      basicAuthorization(
        COURSE_SIMULATOR_CREDENTIALS.username,
        `${COURSE_SIMULATOR_CREDENTIALS.password}\u0000`,
      ),
      `Basic ${'A'.repeat(8000)}`,
      `Digest username="${COURSE_SIMULATOR_CREDENTIALS.username}"`,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
  },
);

/** Mostly what the simulator sends, so that requests get past the first checks; odd ones throughout. */
const headers = fc
  .record(
    {
      authorization: fc.option(authorization, { freq: 6, nil: undefined }),
      'content-type': fc.option(contentType, { freq: 8, nil: undefined }),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', '', 'application/xml'),
      'x-forwarded-for': fc.constantFrom('1.2.3.4', 'not-an-ip', '::1, 10.0.0.1', ''),
      'user-agent': fc.constantFrom('python-requests/2.31.0', 'Mozilla/5.0', ''),
      'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*'),
    },
    { requiredKeys: ['authorization', 'content-type'] },
  )
  .map(
    (h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>,
  );

const USER = ['alice', 'bob', 'Cheryll Ebbers', 'new-user', ''];
/** Each endpoint with the fields its body has, so that many requests are almost right. */
const endpoints: [fc.Arbitrary<string>, Record<string, readonly string[]>][] = [
  [fc.constant('/register'), { username: USER, email: ['a@b.c', 'no-at-sign', ''], pwd: ['secret', ''] }],
  [fc.constantFrom('/msgs', '/latest'), {}],
  [pathSegment(NAMES).map((name) => `/msgs/${name}`), { content: ['hello', '', ' '] }],
  [pathSegment(NAMES).map((name) => `/fllws/${name}`), { follow: USER, unfollow: USER }],
  [
    fc.oneof(
      fc.constantFrom('/msgs/', '/fllws/', '/fllws', '/', '/latest/', '//msgs', '/MSGS', '/msgs/alice/'),
      fc.tuple(pathSegment(NAMES), pathSegment(NAMES)).map(([a, b]) => `/msgs/${a}/${b}`),
      pathSegment(NAMES).map((name) => `/${name}`),
    ),
    { content: ['hello'] },
  ],
];

/** Requests of every shape at every endpoint: mostly wrong in several ways at once. */
const wildRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  ...endpoints.map(([path, fields], i) =>
    fc.record({
      method:
        i === 0 || i === 2 || i === 3
          ? fc.oneof({ weight: 3, arbitrary: fc.constant('POST') }, method)
          : method,
      url: fc.tuple(path, queryString(['latest', 'no'])).map(([p, query]) => p + query),
      headers,
      payload: fc.oneof(
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: fieldsObject(fields).map((object) => JSON.stringify(object)) },
        { weight: 3, arbitrary: strangeBody },
      ),
    }),
  ),
);

const EXISTING = ['alice', 'bob', 'Cheryll Ebbers'];
/** The simulator's own requests, with odd text where text goes and at most a few things changed. */
const nearlyRightRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    action: fc.constantFrom(
      'register',
      'tweet',
      'follow',
      'unfollow',
      'msgs',
      'user msgs',
      'fllws',
      'latest',
    ),
    who: fc.constantFrom(...EXISTING),
    whom: fc.oneof(fc.constantFrom(...EXISTING), anyText),
    text: anyText,
    latest: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
    no: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
    change: fc
      .tuple(
        fc.uniqueArray(
          fc.constantFrom('authorization', 'contentType', 'value', 'extra', 'name', 'query', 'method'),
          { maxLength: 2 },
        ),
        fc.record({
          authorization: fc.option(authorization, { nil: undefined }),
          contentType,
          value: oddValue,
          extra: fc.tuple(fc.constantFrom('__proto__', 'constructor', 'x', 'content', 'follow'), oddValue),
          name: pathSegment(NAMES),
          query: queryString(['latest', 'no']),
          method,
        }),
      )
      .map(([keys, values]) => {
        const picked: Partial<typeof values> = {};
        for (const key of keys) Object.assign(picked, { [key]: values[key] });
        return picked;
      }),
  })
  .map(({ action, who, whom, text, latest, no, change }) => {
    const at = (prefix: string) => `${prefix}/${change.name ?? encodeURIComponent(who)}`;
    const [verb, path, body]: [string, string, Record<string, unknown> | undefined] = {
      register: ['POST', '/register', { username: text, email: `${text}@example.com`, pwd: 'p' }],
      tweet: ['POST', at('/msgs'), { content: text }],
      follow: ['POST', at('/fllws'), { follow: whom }],
      unfollow: ['POST', at('/fllws'), { unfollow: whom }],
      msgs: ['GET', '/msgs', undefined],
      'user msgs': ['GET', at('/msgs'), undefined],
      fllws: ['GET', at('/fllws'), undefined],
      latest: ['GET', '/latest', undefined],
    }[action] as [string, string, Record<string, unknown> | undefined];
    if (body && change.value !== undefined) body[Object.keys(body)[0]!] = change.value;
    if (body && change.extra) body[change.extra[0]] = change.extra[1];
    const query = [latest === undefined ? '' : `latest=${latest}`, no === undefined ? '' : `no=${no}`]
      .filter(Boolean)
      .join('&');
    return {
      method: change.method ?? verb,
      url: path + (change.query ?? (query ? `?${query}` : '')),
      headers: {
        ...(change.authorization === undefined && 'authorization' in change
          ? {}
          : { authorization: change.authorization ?? SIMULATOR_AUTH }),
        'content-type': change.contentType ?? 'application/json',
      },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    };
  });

const request = fc.oneof(wildRequest, nearlyRightRequest);

/**
 * Whether a header carries the simulator's credentials: Basic (any case, RFC 7617), then the base64 of
 * `user:password` (the course's, COURSE_SIMULATOR_CREDENTIALS) however it is padded or spelled (Node's decoder,
 * as the server's).
 */
const carriesCredentials = (header: string | undefined) => {
  const token = /^basic +(\S+)$/i.exec(header ?? '')?.[1];
  const { username, password } = COURSE_SIMULATOR_CREDENTIALS;
  return token !== undefined && Buffer.from(token, 'base64').toString('latin1') === `${username}:${password}`;
};

/** A refusal may record `latest` only for the simulator's own credentials; it may count a sign-up. */
const allowedFor = (sent: FuzzRequest) => ({
  rateLimits: sent.url.startsWith('/register'),
  ...(carriesCredentials(sent.headers.authorization) ? { latest: queryValues(sent.url, 'latest') } : {}),
});

test(`when ${FUZZ_RUNS} batches of malformed requests reach the simulator API, then no 5xx and a refusal changes nothing`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), async (batch) => {
      for (const sent of batch) await fuzzer.send(sent);
    }),
    { numRuns: FUZZ_RUNS },
  );
  // Still up, and still right: the simulator's own requests work as before.
  expect((await t.metrics.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  expect((await t.metrics.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  expect((await sim(t.app, 'GET', '/latest')).statusCode).toBe(200);
  expect((await sim(t.app, 'POST', '/msgs/alice', { content: 'after the fuzz' })).statusCode).toBe(204);
  expect((await sim(t.app, 'GET', '/msgs/alice?no=1')).json()).toEqual([
    expect.objectContaining({ content: 'after the fuzz', user: 'alice' }),
  ]);
}, 600_000);
