import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApi();
});
afterAll(() => t.close());

test('GET /latest is -1 on a fresh database', async () => {
  const reply = await t.app.inject({ method: 'GET', url: '/latest' });
  expect(reply.statusCode).toBe(200);
  expect(reply.json()).toEqual({ latest: -1 });
});
