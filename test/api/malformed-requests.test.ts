import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi, type TestApp } from '../helpers/app.js';
import { newUser } from '../helpers/factory.js';
import { path, sim, simulatorHeaders } from '../helpers/simulator.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApi();
});
afterAll(() => t.close());

const cases: [string, 'GET' | 'POST', string, unknown, number, RegExp][] = [
  ['invalid JSON', 'POST', '/msgs/:user', '{"content": ', 400, /not valid JSON/],
  ['an empty JSON body', 'POST', '/msgs/:user', '', 400, /empty|JSON/i],
  ['a missing field', 'POST', '/msgs/:user', {}, 400, /content/],
  ['a wrongly typed field', 'POST', '/msgs/:user', { content: 42 }, 400, /content must be string/],
  ['a JSON array body', 'POST', '/register', [1, 2], 400, /body must be object/],
  ['a NUL character', 'POST', '/msgs/:user', { content: 'a\u0000b' }, 400, /control characters/],
  [
    'a control character in a name',
    'POST',
    '/register',
    { username: 'a\u0007', email: 'a@b', pwd: 'x' },
    400,
    /username/,
  ],
  [
    'an over-long message',
    'POST',
    '/msgs/:user',
    { content: 'x'.repeat(10001) },
    400,
    /content must NOT have more than 10000/,
  ],
  ['an empty message', 'POST', '/msgs/:user', { content: '' }, 400, /content must not be empty/],
  ['a wrongly typed follow', 'POST', '/fllws/:user', { follow: ['bob'] }, 400, /follow must be string/],
  ['a non-integer no', 'GET', '/msgs?no=ten', undefined, 400, /no must be integer/],
  ['a negative no', 'GET', '/msgs?no=-1', undefined, 400, /no must be >= 0/],
  ['a huge no', 'GET', '/msgs?no=1000000', undefined, 400, /no must be <= 10000/],
  ['an oversized body', 'POST', '/msgs/:user', { content: 'x'.repeat(70_000) }, 413, /too large/i],
  ['an unknown endpoint', 'GET', '/nope', undefined, 404, /No such endpoint/],
];

test.each(cases)(
  'when a request has %s, then a clear JSON 4xx',
  async (_what, method, route, body, status, message) => {
    const alice = await newUser(t.app, { prefix: 'alice' });
    const url = route.replace(':user', encodeURIComponent(alice.username));
    const reply = await sim(t.app, method, url, body);
    expect(reply.statusCode).toBe(status);
    expect(reply.json()).toEqual({ status, error_msg: expect.stringMatching(message) });
    expect(await sim(t.app, 'GET', path('/msgs', alice.username))).toMatchObject({ body: '[]' });
  },
);

test('when a body is of a media type the API does not read, then 415 with a JSON error', async () => {
  const alice = await newUser(t.app, { prefix: 'alice' });
  const reply = await t.app.inject({
    method: 'POST',
    url: path('/msgs', alice.username),
    headers: { ...simulatorHeaders, 'content-type': 'application/xml' },
    payload: '<content>hello</content>',
  });
  expect(reply.statusCode).toBe(415);
  expect(reply.json()).toEqual({ status: 415, error_msg: expect.stringMatching(/Unsupported Media Type/i) });
});

test('when a message of exactly the limit arrives, then it is accepted', async () => {
  const alice = await newUser(t.app, { prefix: 'alice' });
  const content = '🐦'.repeat(10000 / 2);
  const reply = await sim(t.app, 'POST', path('/msgs', alice.username), { content });
  expect(reply.statusCode).toBe(204);
  expect((await sim(t.app, 'GET', path('/msgs', alice.username))).json()).toEqual([
    expect.objectContaining({ content }),
  ]);
});
