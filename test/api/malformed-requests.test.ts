import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi, type TestApp } from '../helpers/app.js';
import { path, register, sim, simulatorHeaders } from '../helpers/simulator.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApi();
  await register(t.app, 'alice');
});
afterAll(() => t.close());

const cases: [string, 'GET' | 'POST', string, unknown, number, RegExp][] = [
  ['invalid JSON', 'POST', '/msgs/alice', '{"content": ', 400, /not valid JSON/],
  ['an empty JSON body', 'POST', '/msgs/alice', '', 400, /empty|JSON/i],
  ['a missing field', 'POST', '/msgs/alice', {}, 400, /content/],
  ['a wrongly typed field', 'POST', '/msgs/alice', { content: 42 }, 400, /content must be string/],
  ['a JSON array body', 'POST', '/register', [1, 2], 400, /body must be object/],
  ['a NUL character', 'POST', '/msgs/alice', { content: 'a\u0000b' }, 400, /control characters/],
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
    '/msgs/alice',
    { content: 'x'.repeat(10001) },
    400,
    /content must NOT have more than 10000/,
  ],
  ['an empty message', 'POST', '/msgs/alice', { content: '' }, 400, /content must not be empty/],
  ['a wrongly typed follow', 'POST', '/fllws/alice', { follow: ['bob'] }, 400, /follow must be string/],
  ['a non-integer no', 'GET', '/msgs?no=ten', undefined, 400, /no must be integer/],
  ['a negative no', 'GET', '/msgs?no=-1', undefined, 400, /no must be >= 0/],
  ['a huge no', 'GET', '/msgs?no=1000000', undefined, 400, /no must be <= 10000/],
  ['an oversized body', 'POST', '/msgs/alice', { content: 'x'.repeat(70_000) }, 413, /too large/i],
  ['an unknown endpoint', 'GET', '/nope', undefined, 404, /No such endpoint/],
];

test.each(cases)(
  'when a request has %s, then a clear JSON 4xx',
  async (_what, method, url, body, status, message) => {
    const reply = await sim(t.app, method, url, body);
    expect(reply.statusCode).toBe(status);
    expect(reply.json()).toEqual({ status, error_msg: expect.stringMatching(message) });
    const stored = await t.db.query('SELECT 1 FROM messages');
    expect(stored).toHaveLength(0);
  },
);

test('when a body is of a media type the API does not read, then 415 with a JSON error', async () => {
  const reply = await t.app.inject({
    method: 'POST',
    url: path('/msgs', 'alice'),
    headers: { ...simulatorHeaders, 'content-type': 'application/xml' },
    payload: '<content>hello</content>',
  });
  expect(reply.statusCode).toBe(415);
  expect(reply.json()).toEqual({ status: 415, error_msg: expect.stringMatching(/Unsupported Media Type/i) });
});

test('when a message of exactly the limit arrives, then it is accepted', async () => {
  const reply = await sim(t.app, 'POST', '/msgs/alice', { content: '🐦'.repeat(10000 / 2) });
  expect(reply.statusCode).toBe(204);
});
