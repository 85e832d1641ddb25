// Small factories for simulator API tests: requests exactly as the course's simulator sends them.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
// The simulator's credentials are the course's (COURSE_SIMULATOR_CREDENTIALS in
// src/api/simulator/credentials.ts), which the test apps set explicitly (test/helpers/app.ts testConfig),
// sent through the replay tool's header; test/scripts/simulator-requests.test.ts pins them to the course's.
import { basicAuthorization, SIMULATOR_AUTHORIZATION } from '../../scripts/replay/simulator-requests.js';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';

/** The Authorization header the course's simulator sends (the credentials the test apps are given). */
export const SIMULATOR_AUTH = SIMULATOR_AUTHORIZATION;
/** The simulator's user name with a wrong password. */
export const WRONG_SIMULATOR_AUTH = basicAuthorization(COURSE_SIMULATOR_CREDENTIALS.username, 'wrong');

export const simulatorHeaders = { 'content-type': 'application/json', authorization: SIMULATOR_AUTH };

export function sim(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = simulatorHeaders,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url: path,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

export const path = (prefix: string, username: string, query = '') =>
  `${prefix}/${encodeURIComponent(username)}${query}`;

export async function register(app: FastifyInstance, username: string, latest?: number) {
  const query = latest === undefined ? '' : `?latest=${latest}`;
  const reply = await sim(app, 'POST', `/register${query}`, {
    username,
    email: `${username.replace(/\s/g, '.')}@example.com`,
    pwd: 'secret',
  });
  if (reply.statusCode !== 204) throw new Error(`register ${username}: ${reply.statusCode} ${reply.body}`);
}

export async function tweet(app: FastifyInstance, username: string, content: string) {
  const reply = await sim(app, 'POST', path('/msgs', username), { content });
  if (reply.statusCode !== 204) throw new Error(`tweet ${username}: ${reply.statusCode} ${reply.body}`);
}
