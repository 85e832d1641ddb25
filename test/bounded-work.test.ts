// One request cannot cost the whole service (issue 11, item 2): a cap on follows, a cap on API lists,
// a statement timeout that ends a slow request with a 503 (and so bounds how long it holds a pooled
// connection from other users), a connection cap and a short headers timeout.
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startApp, type TestApp } from './helpers/app.js';
import { path, register, sim, tweet } from './helpers/simulator.js';
import { flashes, Visitor } from './helpers/web.js';

const onServer = inject('testDatabase').kind === 'postgres';

describe('caps on what one user can ask for', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { LOG_LEVEL: 'silent', FOLLOW_LIMIT: '3', API_LIST_MAX: '5' } });
    for (const name of ['fan', 'a', 'b', 'c', 'd', 'e']) await register(t.api, name);
  });
  afterAll(() => t.close());

  test('the API refuses a follow past FOLLOW_LIMIT with a 400 that says so; re-following and unfollowing still work', async () => {
    const followBy = (who: string, body: object) => sim(t.api, 'POST', path('/fllws', who), body);
    for (const whom of ['a', 'b', 'c'])
      expect((await followBy('fan', { follow: whom })).statusCode).toBe(204);
    const refused = await followBy('fan', { follow: 'd' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      status: 400,
      error_msg: 'You cannot follow more than 3 users; unfollow someone first',
    });
    // Following someone already followed changes nothing, at the limit too.
    expect((await followBy('fan', { follow: 'b' })).statusCode).toBe(204);
    expect((await sim(t.api, 'GET', path('/fllws', 'fan'))).json()).toEqual({ follows: ['a', 'b', 'c'] });
    expect((await followBy('fan', { unfollow: 'a' })).statusCode).toBe(204);
    expect((await followBy('fan', { follow: 'd' })).statusCode).toBe(204);
    expect((await sim(t.api, 'GET', path('/fllws', 'fan'))).json()).toEqual({ follows: ['b', 'c', 'd'] });
  });

  test('the web shows a flash at the limit and stays on the profile, following nothing more', async () => {
    const visitor = new Visitor(t.web);
    await visitor.registerAndLogin('webfan');
    for (const whom of ['a', 'b', 'c']) await visitor.get(`/${whom}/follow`);
    const reply = await visitor.get('/d/follow');
    expect(reply.statusCode).toBe(200);
    expect(reply.redirects).toEqual(['/d']);
    expect(flashes(reply.body)).toEqual(['You cannot follow more than 3 users; unfollow someone first']);
    expect(reply.body).not.toContain('You are currently following this user.');
    expect((await sim(t.api, 'GET', path('/fllws', 'webfan'))).json()).toEqual({ follows: ['a', 'b', 'c'] });
  });

  test('an API list holds at most API_LIST_MAX items whatever `no` asks for; fewer when asked', async () => {
    for (let i = 0; i < 7; i++) await tweet(t.api, 'e', `message ${i}`);
    for (const url of ['/msgs?no=10000', '/msgs/e?no=6', '/msgs/e']) {
      const reply = await sim(t.api, 'GET', url);
      expect(reply.statusCode, url).toBe(200);
      expect(reply.json(), url).toHaveLength(5);
    }
    expect((await sim(t.api, 'GET', '/msgs/e?no=2')).json()).toHaveLength(2);
    const follows = await sim(t.api, 'GET', '/fllws/webfan?no=10000');
    expect(follows.json()).toEqual({ follows: ['a', 'b', 'c'] });
  });
});

describe('connections', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startApp({
      role: 'web',
      env: {
        LOG_LEVEL: 'silent',
        MAX_CONNECTIONS: '2',
        MAX_CONNECTIONS_PER_CLIENT: '0',
        HEADERS_TIMEOUT_MS: '1000',
      },
    });
    await t.web.listen({ host: '127.0.0.1', port: 0 });
    port = (t.web.server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
    });
  /** Everything the server sends until it closes the connection. */
  const untilClosed = (socket: Socket) =>
    new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
    });

  test('a client that does not finish its headers within HEADERS_TIMEOUT_MS gets a 408 and is disconnected', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write('GET /public HTTP/1.1\r\nHost: minitwit\r\n'); // and never the blank line
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('past MAX_CONNECTIONS a new connection is closed at once; the open ones are still served', async () => {
    const held = [await open(), await open()];
    const extra = await open();
    expect(await untilClosed(extra)).toBe('');
    const answer = untilClosed(held[0]!);
    held[0]!.write('GET /public HTTP/1.1\r\nHost: minitwit\r\nConnection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    held[1]!.destroy();
  });
});

/**
 * An app on the server with a heavy user (following a friend), another user with a message, and a
 * client of our own (`blocker`) that can lock tables to hold the heavy user's statements up.
 */
async function heavyAndOther(env: Record<string, string>): Promise<{ t: TestApp; blocker: pg.Client }> {
  const t = await startApp({ env: { LOG_LEVEL: 'silent', ...env } });
  for (const name of ['heavy', 'other', 'friend']) await register(t.api, name);
  await sim(t.api, 'POST', path('/fllws', 'heavy'), { follow: 'friend' });
  await tweet(t.api, 'other', 'a message of another user');
  const blocker = new pg.Client({ connectionString: t.databaseUrl });
  await blocker.connect();
  return { t, blocker };
}

// The server cancels a statement at DB_STATEMENT_TIMEOUT_MS; the embedded database cannot (PGlite has no
// timer to cancel with: there the caps above and the queries' shapes are the bound, docs/scaling.md).
describe.runIf(onServer)('a slow request on the server', () => {
  let t: TestApp;
  let blocker: pg.Client;
  beforeAll(async () => {
    // Two pooled connections and a 300 ms timeout: the heavy user's requests alone could fill the pool.
    ({ t, blocker } = await heavyAndOther({ DB_STATEMENT_TIMEOUT_MS: '300', DB_POOL_SIZE: '2' }));
  });
  afterAll(async () => {
    await blocker.end();
    await t.close();
  });

  test("is cut at the statement timeout with a clear 503 (JSON and page), and another user's pages are served meanwhile", async () => {
    const heavy = new Visitor(t.web);
    await heavy.login('heavy', 'secret');
    // Whatever makes a statement slow (a big scan, a lock), it runs into the timeout: here every statement
    // that reads follows waits on a lock held until all the requests below have been answered.
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE follows IN ACCESS EXCLUSIVE MODE');
    try {
      const heavyRequests = [
        ...Array.from({ length: 3 }, () => sim(t.api, 'GET', path('/fllws', 'heavy'))),
        ...Array.from({ length: 3 }, () => heavy.get('/')),
      ];
      // Pages that read no follows (a profile does: its counts), so that only the pool stands between them.
      const otherRequests = [sim(t.api, 'GET', path('/msgs', 'other')), t.web.inject('/public')];
      const [heavyReplies, otherReplies] = await Promise.all([
        Promise.all(heavyRequests),
        Promise.all(otherRequests),
      ]);
      // Answered while the lock is still held: the heavy requests could not keep the pool.
      for (const reply of otherReplies) {
        expect(reply.statusCode).toBe(200);
        expect(reply.body).toContain('a message of another user');
      }
      for (const reply of heavyReplies.slice(0, 3)) {
        expect(reply.statusCode).toBe(503);
        expect(reply.json()).toEqual({
          status: 503,
          error_msg: 'The request took too long and was stopped; try again later',
        });
      }
      for (const reply of heavyReplies.slice(3)) {
        expect(reply.statusCode).toBe(503);
        expect(reply.headers['content-type']).toMatch(/^text\/html/);
        expect(reply.body).toContain('The request took too long and was stopped; try again later');
      }
    } finally {
      await blocker.query('ROLLBACK');
    }
    // Nothing is left broken: the same requests succeed once nothing holds them up.
    expect((await sim(t.api, 'GET', path('/fllws', 'heavy'))).json()).toEqual({ follows: ['friend'] });
    expect((await heavy.get('/')).statusCode).toBe(200);
  });
});

describe.runIf(onServer)('one user reloading their timeline in a loop', () => {
  let t: TestApp;
  let blocker: pg.Client;
  beforeAll(async () => {
    // Three pooled connections, no statement timeout: only the per-user limit can keep one free.
    ({ t, blocker } = await heavyAndOther({ DB_STATEMENT_TIMEOUT_MS: '0', DB_POOL_SIZE: '3' }));
  });
  afterAll(async () => {
    await blocker.end();
    await t.close();
  });

  test("holds at most two of the pool's connections: another user's pages are served while six of theirs wait", async () => {
    const heavy = new Visitor(t.web);
    await heavy.login('heavy', 'secret');
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE follows IN ACCESS EXCLUSIVE MODE');
    let heavyAnswered = 0;
    const heavyRequests = Array.from({ length: 6 }, () => heavy.get('/').finally(() => heavyAnswered++));
    try {
      // The heavy user's timelines wait on the lock until it is released below, without a timeout.
      const others = await Promise.all([sim(t.api, 'GET', path('/msgs', 'other')), t.web.inject('/public')]);
      for (const reply of others) {
        expect(reply.statusCode).toBe(200);
        expect(reply.body).toContain('a message of another user');
      }
      expect(heavyAnswered).toBe(0);
    } finally {
      await blocker.query('ROLLBACK');
    }
    for (const reply of await Promise.all(heavyRequests)) expect(reply.statusCode).toBe(200);
  });
});
