// One deployment: what the simulator API writes, the web pages show, and the other way round.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { register, tweet } from '../helpers/simulator.js';
import { startWebAndApi, Visitor, type WebAndApi } from '../helpers/web.js';

let both: WebAndApi;
beforeAll(async () => {
  both = await startWebAndApi();
});
afterAll(() => both.close());

test('when the simulator posts a message through the API, then it shows on /public', async () => {
  await register(both.api, 'simulated');
  await tweet(both.api, 'simulated', 'posted through the API <b>');
  const { body } = await new Visitor(both.web).get('/public');
  expect(body).toContain('<strong><a href="/simulated">simulated</a></strong>');
  expect(body).toContain('posted through the API &lt;b&gt;');
});

test('when a user registered through the API signs in on the web, then it works', async () => {
  const reply = await new Visitor(both.web).login('simulated', 'secret');
  expect(reply.body).toContain('You were logged in');
});
