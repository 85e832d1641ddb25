import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { flagMessages } from '../../src/data/messages.js';
import { startApi, type TestApp } from '../helpers/app.js';
import { newUser } from '../helpers/factory.js';
import { path, sim, tweet, WRONG_SIMULATOR_AUTH } from '../helpers/simulator.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApi();
});
afterAll(() => t.close());

type ApiMessage = { content: string; pub_date: number; user: string };
const follows = async (name: string, query = '') =>
  (await sim(t.app, 'GET', path('/fllws', name, query))).json<{ follows: string[] }>().follows;
const messages = async (url: string) => (await sim(t.app, 'GET', url)).json<ApiMessage[]>();
const user = async (prefix: string) => (await newUser(t.app, { prefix })).username;

describe('messages', () => {
  test('when a user posts, then 204 and the message heads both lists with its author and Unix time', async () => {
    const roger = await user('Roger Histand');
    const before = Math.floor(Date.now() / 1000);
    const reply = await sim(t.app, 'POST', path('/msgs', roger, '?latest=3'), {
      content: 'Hello “world” <b>',
    });
    expect(reply.statusCode).toBe(204);
    expect(reply.body).toBe('');
    for (const url of ['/msgs', path('/msgs', roger)]) {
      const mine = (await messages(`${url}${url.includes('?') ? '&' : '?'}no=1000`)).filter(
        (m) => m.user === roger,
      );
      expect(mine).toEqual([{ content: 'Hello “world” <b>', user: roger, pub_date: expect.any(Number) }]);
      expect(mine[0]!.pub_date).toBeGreaterThanOrEqual(before);
      expect(mine[0]!.pub_date).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    }
  });

  test('when several users post, then /msgs is newest first and /msgs/<user> holds only theirs', async () => {
    const [geoffrey, wendell] = [await user('Geoffrey Stieff'), await user('Wendell Ballan')];
    await tweet(t.app, geoffrey, 'one');
    await tweet(t.app, wendell, 'two');
    await tweet(t.app, geoffrey, 'three');
    const ours = (await messages('/msgs?no=1000')).filter((m) => [geoffrey, wendell].includes(m.user));
    expect(ours.map((m) => m.content)).toEqual(['three', 'two', 'one']);
    expect((await messages(path('/msgs', geoffrey))).map((m) => m.content)).toEqual(['three', 'one']);
  });

  test('when no=<n> is given, then at most n messages come back; the default is 100', async () => {
    const wendell = await user('Wendell Ballan');
    for (let i = 0; i < 105; i++) await tweet(t.app, wendell, `bulk ${i}`);
    expect((await messages(path('/msgs', wendell, '?no=2'))).map((m) => m.content)).toEqual([
      'bulk 104',
      'bulk 103',
    ]);
    expect(await messages(path('/msgs', wendell))).toHaveLength(100);
    expect(await messages(path('/msgs', wendell, '?no=5'))).toHaveLength(5);
    expect(await messages(path('/msgs', wendell, '?no=0'))).toHaveLength(0);
    // The public list: at least 105 messages exist now, whatever other tests posted.
    expect(await messages('/msgs?no=2')).toHaveLength(2);
    expect(await messages('/msgs')).toHaveLength(100);
    expect(await messages('/msgs?no=0')).toHaveLength(0);
  });

  test('when a message is flagged, then no list shows it', async () => {
    const roger = await user('Roger Histand');
    await tweet(t.app, roger, 'to be flagged');
    await tweet(t.app, roger, 'still shown');
    const [row] = await t.db.query<{ id: number }>(
      "SELECT message_id AS id FROM messages WHERE text = 'to be flagged'",
    );
    expect(await flagMessages(t.db, [row!.id])).toEqual([row!.id]);
    for (const url of ['/msgs?no=1000', path('/msgs', roger)]) {
      const contents = (await messages(url)).map((m) => m.content);
      expect(contents).toContain('still shown');
      expect(contents).not.toContain('to be flagged');
    }
  });

  test('when the user is unknown, then 404 for reading and posting, and nothing is stored', async () => {
    expect((await sim(t.app, 'GET', path('/msgs', 'Nobody Here'))).statusCode).toBe(404);
    const post = await sim(t.app, 'POST', path('/msgs', 'Nobody Here'), { content: 'for nobody' });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toEqual({ status: 404, error_msg: 'Unknown user: Nobody Here' });
    const rows = await t.db.query("SELECT 1 FROM messages WHERE text = 'for nobody'");
    expect(rows).toHaveLength(0);
  });

  test('when a message is a few thousand characters of Unicode, then it is stored whole', async () => {
    const geoffrey = await user('Geoffrey Stieff');
    const long = 'ÆØÅ 🐦 “quoted” '.repeat(400);
    await tweet(t.app, geoffrey, long);
    const [first] = await messages(path('/msgs', geoffrey, '?no=1'));
    expect(first?.content).toBe(long);
  });
});

describe('follows', () => {
  /** Roger, who follows Wendell then Geoffrey. */
  async function rogerFollowingTwo() {
    const [roger, wendell, geoffrey] = [
      await user('Roger Histand'),
      await user('Wendell Ballan'),
      await user('Geoffrey Stieff'),
    ];
    for (const whom of [wendell, geoffrey]) {
      const reply = await sim(t.app, 'POST', path('/fllws', roger, '?latest=20'), { follow: whom });
      expect(reply.statusCode).toBe(204);
    }
    return { roger, wendell, geoffrey };
  }

  test('when a user follows others, then /fllws lists them in the order followed', async () => {
    const { roger, wendell, geoffrey } = await rogerFollowingTwo();
    expect(await follows(roger)).toEqual([wendell, geoffrey]);
    expect(await follows(roger, '?no=1')).toEqual([wendell]);
  });

  test('when a follow is repeated, then 204 and the user is followed once', async () => {
    const { roger, wendell, geoffrey } = await rogerFollowingTwo();
    const reply = await sim(t.app, 'POST', path('/fllws', roger), { follow: wendell });
    expect(reply.statusCode).toBe(204);
    expect(await follows(roger)).toEqual([wendell, geoffrey]);
  });

  test('when a user unfollows, then 204 and it is gone; unfollowing again is a 204 that changes nothing', async () => {
    const { roger, wendell, geoffrey } = await rogerFollowingTwo();
    for (let i = 0; i < 2; i++) {
      const reply = await sim(t.app, 'POST', path('/fllws', roger), { unfollow: wendell });
      expect(reply.statusCode).toBe(204);
      expect(await follows(roger)).toEqual([geoffrey]);
    }
  });

  test('when either user is unknown, then 404 and nothing changes', async () => {
    const { roger, wendell, geoffrey } = await rogerFollowingTwo();
    expect((await sim(t.app, 'POST', path('/fllws', 'Ghost'), { follow: roger })).statusCode).toBe(404);
    expect((await sim(t.app, 'POST', path('/fllws', roger), { follow: 'Ghost' })).statusCode).toBe(404);
    expect((await sim(t.app, 'POST', path('/fllws', roger), { unfollow: 'Ghost' })).statusCode).toBe(404);
    expect((await sim(t.app, 'GET', path('/fllws', 'Ghost'))).statusCode).toBe(404);
    expect(await follows(roger)).toEqual([wendell, geoffrey]);
  });

  test('when the body names neither follow nor unfollow, then 400', async () => {
    const roger = await user('Roger Histand');
    const reply = await sim(t.app, 'POST', path('/fllws', roger), { something: 'else' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json<{ error_msg: string }>().error_msg).toMatch(/follow/);
  });
});

describe('authorization', () => {
  const forbidden = { status: 403, error_msg: 'You are not authorized to use this resource!' };
  test.each([
    ['GET', '/msgs'],
    ['GET', '/msgs/:user'],
    ['POST', '/msgs/:user'],
    ['GET', '/fllws/:user'],
    ['POST', '/fllws/:user'],
  ] as const)(
    'when %s %s has no or wrong credentials, then 403 with the reference message and nothing changes',
    async (method, route) => {
      const [roger, geoffrey] = [await user('Roger Histand'), await user('Geoffrey Stieff')];
      const url = route.replace(':user', encodeURIComponent(roger));
      const body = method === 'POST' ? { content: 'refused', follow: geoffrey } : undefined;
      for (const headers of [{} as Record<string, string>, { authorization: WRONG_SIMULATOR_AUTH }]) {
        const reply = await sim(t.app, method, url, body, { 'content-type': 'application/json', ...headers });
        expect(reply.statusCode).toBe(403);
        expect(reply.json()).toEqual(forbidden);
      }
      expect(await messages(path('/msgs', roger))).toEqual([]);
      expect(await follows(roger)).toEqual([]);
    },
  );
});
