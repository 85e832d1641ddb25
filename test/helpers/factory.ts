// Users for tests: each test makes its own, under a name no other test in the run has, registered through
// the real app (the simulator API's /register or the web form), so no test leans on another's users.
import type { FastifyInstance } from 'fastify';
import { sim } from './simulator.js';
import { Visitor } from './web.js';

export interface TestUser {
  username: string;
  email: string;
  password: string;
}

export interface NewUserOptions {
  /** Starts the name, so a failing test's data says whose it is; any characters a username may hold. */
  prefix?: string;
  password?: string;
}

let made = 0;

/** A username no other call in this test process returns: `<prefix>-<n>`. */
export function uniqueName(prefix = 'user'): string {
  made += 1;
  return `${prefix}-${made}`;
}

/** Registers a new user through `app`: the API's /register on the API, the sign-up form on the web. */
export async function newUser(app: FastifyInstance, options: NewUserOptions = {}): Promise<TestUser> {
  const username = uniqueName(options.prefix);
  const user = {
    username,
    email: `${username.replace(/\s/g, '.')}@example.com`,
    password: options.password ?? 'default',
  };
  const isApi = app.hasRoute({ method: 'GET', url: '/fllws/:username' });
  const reply = isApi
    ? await sim(app, 'POST', '/register', { username, email: user.email, pwd: user.password })
    : await app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          username,
          email: user.email,
          password: user.password,
          password2: user.password,
        }).toString(),
      });
  const registered = isApi ? reply.statusCode === 204 : reply.headers.location === '/login';
  if (!registered) throw new Error(`register ${username}: ${reply.statusCode} ${reply.body.slice(0, 300)}`);
  return user;
}

/** A new user, signed in on the web app by a visitor of their own. */
export async function signedInUser(
  web: FastifyInstance,
  options: NewUserOptions = {},
): Promise<TestUser & { visitor: Visitor }> {
  const user = await newUser(web, options);
  const visitor = new Visitor(web);
  const reply = await visitor.login(user.username, user.password);
  if (!reply.redirects.includes('/')) throw new Error(`sign in ${user.username}: ${reply.statusCode}`);
  return { ...user, visitor };
}
