// What the bench measures, made ready on the running instance: its own users (new names every run), a
// signed-in web session, a deep page's cursor, and each read's real reply captured (its bytes become the
// framework ceiling's fixed body).
import { signIn } from '../lib/http.js';
import { pythonJson } from '../replay/simulator-requests.js';
import type { FixedBody } from './ceiling-server.js';
import type { LoadRequest } from './load.js';

export interface Target {
  webOrigin: string;
  apiOrigin: string;
  /** The simulator API's Authorization header. */
  authorization: string;
  /** Makes this run's user names new to the database. */
  runId: string;
}

export interface Endpoint {
  kind: 'read' | 'write';
  name: string;
  origin: string;
  requests: LoadRequest[];
  perConnection?: LoadRequest[][];
  expectedStatus: number;
  /** A read's captured reply (the fixed-body ceiling); writes share the INSERT ceiling. */
  fixed?: FixedBody;
}

/** The password of the bench's users (they are made for the run; nothing else signs in with it). */
const BENCH_PASSWORD = 'bench-password';
const PAGES_DEEP = 10;
const POSTS_BY_AUTHOR = 120;

class SetupError extends Error {
  override name = 'SetupError';
}

async function expectStatus(response: Response, status: number, what: string): Promise<string> {
  const body = await response.text();
  if (response.status !== status) {
    throw new SetupError(`${what}: expected ${status}, got ${response.status} ${body.slice(0, 200)}`);
  }
  return body;
}

const userPath = (prefix: string, user: string) => `${prefix}/${encodeURIComponent(user)}`;

function apiClient(target: Target) {
  const headers = { 'content-type': 'application/json', authorization: target.authorization };
  const post = async (path: string, fields: Record<string, string>, what: string) =>
    expectStatus(
      await fetch(target.apiOrigin + path, { method: 'POST', headers, body: pythonJson(fields) }),
      204,
      what,
    );
  const get = async (path: string) =>
    JSON.parse(await expectStatus(await fetch(target.apiOrigin + path, { headers }), 200, path)) as unknown;
  return { headers, post, get };
}

/** Runs `task` on every item, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, task: (item: T) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += width) {
    await Promise.all(items.slice(start, start + width).map(task));
  }
}

async function deepPagePath(target: Target, cookie: string): Promise<{ path: string; depth: number }> {
  let path = '/public';
  let depth = 0;
  for (; depth < PAGES_DEEP; depth++) {
    const html = await expectStatus(
      await fetch(target.webOrigin + path, { headers: { cookie } }),
      200,
      `GET ${path}`,
    );
    const older = /href="(\/public\?before=[\w-]+)"/.exec(html)?.[1];
    if (!older) break;
    path = older;
  }
  if (depth === 0) throw new SetupError('the public timeline has no "Older messages" link');
  return { path, depth };
}

async function capture(origin: string, request: LoadRequest, expectedStatus: number): Promise<FixedBody> {
  const response = await fetch(origin + request.path, {
    method: request.method,
    headers: request.headers ?? {},
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== expectedStatus) {
    throw new SetupError(`GET ${request.path}: expected ${expectedStatus}, got ${response.status}`);
  }
  return {
    contentType: response.headers.get('content-type') ?? 'text/plain',
    body: bytes.toString('base64'),
  };
}

export interface PreparedEndpoints {
  endpoints: Endpoint[];
  users: { author: string; viewer: string; followed: number };
  deepPageDepth: number;
}

export async function prepareEndpoints(target: Target, connections: number): Promise<PreparedEndpoints> {
  const api = apiClient(target);
  const name = (role: string) => `bench ${target.runId} ${role}`;
  const author = name('author');
  const viewer = name('viewer');
  const followed = name('followed');
  const followers = Array.from({ length: connections }, (_, i) => name(`follower${i}`));
  await inBatches([author, viewer, followed, ...followers], 4, (username) =>
    api.post('/register', { username, email: 'bench@example.com', pwd: BENCH_PASSWORD }, 'register'),
  );
  await inBatches(
    Array.from({ length: POSTS_BY_AUTHOR }, (_, i) => i),
    8,
    (i) => api.post(userPath('/msgs', author), { content: `Bench message ${i} of ${author}` }, 'post'),
  );
  // The viewer follows the author and the authors of the newest messages: a real personal timeline.
  const newest = (await api.get('/msgs?no=100')) as { user: string }[];
  const others = [...new Set(newest.map((message) => message.user))].filter((user) => user !== viewer);
  for (const other of [author, ...others.slice(0, 30)]) {
    await api.post(userPath('/fllws', viewer), { follow: other }, 'follow');
  }
  const cookie = await signIn(target.webOrigin, viewer, BENCH_PASSWORD);
  const deep = await deepPagePath(target, cookie);

  const apiRead = (path: string): LoadRequest => ({ method: 'GET', path, headers: api.headers });
  const webRead = (path: string, signedIn = false): LoadRequest => ({
    method: 'GET',
    path,
    ...(signedIn ? { headers: { cookie } } : {}),
  });
  const reads: [string, string, LoadRequest][] = [
    ['GET /msgs?no=100', target.apiOrigin, apiRead('/msgs?no=100')],
    ['GET /msgs/<user>?no=100', target.apiOrigin, apiRead(`${userPath('/msgs', author)}?no=100`)],
    ['GET /fllws/<user>', target.apiOrigin, apiRead(userPath('/fllws', viewer))],
    ['GET /public', target.webOrigin, webRead('/public')],
    ['GET /<user>', target.webOrigin, webRead(userPath('', author))],
    ['GET / (signed in)', target.webOrigin, webRead('/', true)],
    [`GET /public?before= (page ${deep.depth + 1})`, target.webOrigin, webRead(deep.path)],
  ];
  const endpoints: Endpoint[] = [];
  for (const [label, origin, request] of reads) {
    endpoints.push({
      kind: 'read',
      name: label,
      origin,
      requests: [request],
      expectedStatus: 200,
      fixed: await capture(origin, request, 200),
    });
  }

  const apiPost = (path: string, fields: Record<string, string>): LoadRequest => ({
    method: 'POST',
    path: `${path}?latest=1`,
    headers: api.headers,
    body: pythonJson(fields),
  });
  endpoints.push(
    {
      kind: 'write',
      name: 'POST /msgs/<user>',
      origin: target.apiOrigin,
      requests: [apiPost(userPath('/msgs', author), { content: 'A bench message, posted again and again.' })],
      expectedStatus: 204,
    },
    {
      kind: 'write',
      name: 'POST /fllws/<user> (follow, unfollow)',
      origin: target.apiOrigin,
      requests: [],
      // Each connection is its own follower: the load is many users following, not one row fought over.
      perConnection: followers.map((follower) => [
        apiPost(userPath('/fllws', follower), { follow: followed }),
        apiPost(userPath('/fllws', follower), { unfollow: followed }),
      ]),
      expectedStatus: 204,
    },
    {
      kind: 'write',
      name: 'POST /add_message (web)',
      origin: target.webOrigin,
      requests: [
        {
          method: 'POST',
          path: '/add_message',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ text: 'A bench message from the web form.' }).toString(),
        },
      ],
      expectedStatus: 302,
    },
  );
  return { endpoints, users: { author, viewer, followed: others.length + 1 }, deepPageDepth: deep.depth };
}

/** The INSERT ceiling's request: a JSON body like a simulator post's. */
export const insertCeilingRequest: LoadRequest = {
  method: 'POST',
  path: '/insert',
  headers: { 'content-type': 'application/json' },
  body: pythonJson({ content: 'A bench message, posted again and again.' }),
};
