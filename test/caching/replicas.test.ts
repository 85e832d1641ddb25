// The read cache stays correct across replicas: two apps on one database, a write on one, reads on the
// other. On a server each app is a replica of its own (its own pool, cache and LISTEN connection); on the
// embedded database, where only one process may open it, the second app shares the process and its cache.
import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApps, startServices } from '../../src/app.js';
import type { ReadCache, Scope } from '../../src/caching/read-cache.js';
import * as minitwit from '../../src/minitwit.js';
import { createLogger } from '../../src/observability/logger.js';
import { appsOn, startApi, testConfig, type TestApp } from '../helpers/app.js';
import { path, register, sim, tweet } from '../helpers/simulator.js';

let t: TestApp;
let other: { api: FastifyInstance; cache: ReadCache; close: () => Promise<unknown> };

beforeAll(async () => {
  t = await startApi();
  if (t.databaseUrl) {
    const config = testConfig({ DATABASE_URL: t.databaseUrl, MINITWIT_ROLE: 'api', LOG_LEVEL: 'silent' });
    const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
    const services = await startServices(config, logger);
    const apps = await buildApps(services);
    other = {
      api: apps.find((a) => a.role === 'api')!.app,
      cache: services.cache,
      close: async () => {
        await Promise.all(apps.map(({ app }) => app.close()));
        await services.close();
      },
    };
  } else {
    const apps = await appsOn(t, {});
    other = { api: apps.api, cache: t.cache, close: apps.close };
  }
  for (const name of ['ann', 'bob', 'cat']) await register(t.app, name);
});
afterAll(async () => {
  await other?.close();
  await t?.close();
});

type ApiMessage = { content: string; user: string };
const contents = async (app: FastifyInstance, url: string) =>
  (await sim(app, 'GET', url)).json<ApiMessage[]>().map((m) => m.content);
const cache = () => other.cache;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * Reads `url` on the other replica until its answer is cached in `scope` (a notification of an earlier
 * write may arrive meanwhile and keep a read from being stored), then returns the answer.
 */
async function cachedOnOther(url: string, scope: Scope): Promise<string[]> {
  for (;;) {
    const answer = await sim(other.api, 'GET', url);
    if (cache().entriesOf(scope) > 0)
      return answer.json<ApiMessage[] | { follows: string[] }>() instanceof Array
        ? answer.json<ApiMessage[]>().map((m) => m.content)
        : answer.json<{ follows: string[] }>().follows;
    await pause();
  }
}

/**
 * Until the other replica has dropped its entries of `scope`. Expired entries still count until read or
 * evicted (no auto-purge), so only an invalidation empties a scope: this waits for the notification, not
 * the expiry. No timing is asserted: it waits as long as the test's timeout allows.
 */
async function untilDropped(scope: Scope): Promise<void> {
  while (cache().entriesOf(scope) > 0) await pause();
}

const idOf = async (name: string) =>
  (await t.db.query<{ id: number }>('SELECT user_id AS id FROM users WHERE username = $1', [name]))[0]!.id;

describe('two replicas on one database', () => {
  test('when one posts, then the other drops its cached lists and serves the message', async () => {
    await tweet(t.app, 'ann', 'first');
    const ann = `author:${await idOf('ann')}` as const;
    expect(await cachedOnOther('/msgs?no=5', 'public')).toContain('first');
    expect(await cachedOnOther(path('/msgs', 'ann'), ann)).toEqual(['first']);

    await tweet(t.app, 'ann', 'second');
    await untilDropped('public');
    await untilDropped(ann);
    expect(await contents(other.api, '/msgs?no=5')).toEqual(expect.arrayContaining(['second', 'first']));
    expect(await contents(other.api, path('/msgs', 'ann'))).toEqual(['second', 'first']);
  });

  test('when a message is flagged, then it disappears from the other replica', async () => {
    await tweet(t.app, 'bob', 'spam');
    const bob = `author:${await idOf('bob')}` as const;
    expect(await cachedOnOther(path('/msgs', 'bob'), bob)).toEqual(['spam']);
    const [spam] = await t.db.query<{ id: number }>(
      "SELECT message_id AS id FROM messages WHERE text = 'spam'",
    );
    await minitwit.flag({ db: t.db, cache: t.cache }, [spam!.id]);
    await untilDropped(bob);
    expect(await contents(other.api, path('/msgs', 'bob'))).toEqual([]);
    expect(await contents(other.api, '/msgs')).not.toContain('spam');
  });

  test("when one follows, then the other drops that user's cached follows", async () => {
    const cat = `follows:${await idOf('cat')}` as const;
    expect(await cachedOnOther(path('/fllws', 'cat'), cat)).toEqual([]);
    expect((await sim(t.app, 'POST', path('/fllws', 'cat'), { follow: 'ann' })).statusCode).toBe(204);
    await untilDropped(cat);
    expect((await sim(other.api, 'GET', path('/fllws', 'cat'))).json()).toEqual({ follows: ['ann'] });
  });
});

describe('one replica', () => {
  test('when a user posts, then the very next read shows it, and a flag hides it at once', async () => {
    expect(await contents(t.app, path('/msgs', 'cat'))).toEqual([]);
    await tweet(t.app, 'cat', 'mine');
    expect(await contents(t.app, path('/msgs', 'cat'))).toEqual(['mine']);
    expect((await contents(t.app, '/msgs?no=1'))[0]).toBe('mine');
    const [mine] = await t.db.query<{ id: number }>(
      "SELECT message_id AS id FROM messages WHERE text = 'mine'",
    );
    await minitwit.flag({ db: t.db, cache: t.cache }, [mine!.id]);
    expect(await contents(t.app, path('/msgs', 'cat'))).toEqual([]);
    expect(await contents(t.app, '/msgs')).not.toContain('mine');
  });

  test('when a post and a follow record latest in their own statement, then /latest has it even for an unknown user', async () => {
    const latest = async () => (await sim(t.app, 'GET', '/latest')).json<{ latest: number }>().latest;
    expect((await sim(t.app, 'POST', path('/msgs', 'ann', '?latest=901'), { content: 'x' })).statusCode).toBe(
      204,
    );
    expect(await latest()).toBe(901);
    expect(
      (await sim(t.app, 'POST', path('/msgs', 'nobody', '?latest=902'), { content: 'x' })).statusCode,
    ).toBe(404);
    expect(await latest()).toBe(902);
    expect(
      (await sim(t.app, 'POST', path('/fllws', 'ann', '?latest=903'), { follow: 'nobody' })).statusCode,
    ).toBe(404);
    expect(await latest()).toBe(903);
    expect((await sim(t.app, 'POST', path('/fllws', 'ann', '?latest=904'), { nothing: 1 })).statusCode).toBe(
      400,
    );
    expect(await latest()).toBe(904);
    expect((await sim(t.app, 'POST', path('/msgs', 'ann', '?latest=905'), { content: '' })).statusCode).toBe(
      400,
    );
    expect(await latest()).toBe(905);
    // One row per request: recorded once, by the statement or by the guard.
    const [{ rows }] = (await t.db.query<{ rows: number }>(
      'SELECT count(*)::int AS rows FROM simulator_latest WHERE action_id BETWEEN 901 AND 905',
    )) as [{ rows: number }];
    expect(rows).toBe(5);
  });
});
