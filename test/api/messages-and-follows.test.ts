import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { flagMessages } from '../../src/data/messages.js';
import { startApi, type TestApp } from '../helpers/app.js';
import { path, register, sim, tweet } from '../helpers/simulator.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApi();
  for (const name of ['Roger Histand', 'Geoffrey Stieff', 'Wendell Ballan']) await register(t.app, name);
});
afterAll(() => t.close());

type ApiMessage = { content: string; pub_date: number; user: string };
const follows = async (name: string, query = '') =>
  (await sim(t.app, 'GET', path('/fllws', name, query))).json<{ follows: string[] }>().follows;

describe('messages', () => {
  test('when a user posts, then 204 and the message heads both lists with its author and Unix time', async () => {
    const before = Math.floor(Date.now() / 1000);
    const reply = await sim(t.app, 'POST', path('/msgs', 'Roger Histand', '?latest=3'), {
      content: 'Hello “world” <b>',
    });
    expect(reply.statusCode).toBe(204);
    expect(reply.body).toBe('');
    for (const url of ['/msgs', path('/msgs', 'Roger Histand')]) {
      const [first] = (await sim(t.app, 'GET', url)).json<ApiMessage[]>();
      expect(first).toEqual({
        content: 'Hello “world” <b>',
        user: 'Roger Histand',
        pub_date: expect.any(Number),
      });
      expect(first!.pub_date).toBeGreaterThanOrEqual(before);
      expect(first!.pub_date).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    }
  });

  test('when several users post, then /msgs is newest first and /msgs/<user> holds only theirs', async () => {
    await tweet(t.app, 'Geoffrey Stieff', 'one');
    await tweet(t.app, 'Wendell Ballan', 'two');
    await tweet(t.app, 'Geoffrey Stieff', 'three');
    const all = (await sim(t.app, 'GET', '/msgs')).json<ApiMessage[]>();
    expect(all.map((m) => m.content).slice(0, 3)).toEqual(['three', 'two', 'one']);
    const geoffrey = (await sim(t.app, 'GET', path('/msgs', 'Geoffrey Stieff'))).json<ApiMessage[]>();
    expect(geoffrey.map((m) => m.content)).toEqual(['three', 'one']);
  });

  test('when no=<n> is given, then at most n messages come back; the default is 100', async () => {
    for (let i = 0; i < 105; i++) await tweet(t.app, 'Wendell Ballan', `bulk ${i}`);
    expect((await sim(t.app, 'GET', '/msgs?no=2')).json<ApiMessage[]>().map((m) => m.content)).toEqual([
      'bulk 104',
      'bulk 103',
    ]);
    expect((await sim(t.app, 'GET', '/msgs')).json<ApiMessage[]>()).toHaveLength(100);
    expect((await sim(t.app, 'GET', '/msgs?no=0')).json<ApiMessage[]>()).toHaveLength(0);
    expect(
      (await sim(t.app, 'GET', path('/msgs', 'Wendell Ballan', '?no=5'))).json<ApiMessage[]>(),
    ).toHaveLength(5);
  });

  test('when a message is flagged, then no list shows it', async () => {
    await tweet(t.app, 'Roger Histand', 'to be flagged');
    const [row] = await t.db.query<{ id: number }>(
      "SELECT message_id AS id FROM messages WHERE text = 'to be flagged'",
    );
    expect(await flagMessages(t.db, [row!.id])).toEqual([row!.id]);
    for (const url of ['/msgs?no=1000', path('/msgs', 'Roger Histand')]) {
      const contents = (await sim(t.app, 'GET', url)).json<ApiMessage[]>().map((m) => m.content);
      expect(contents).not.toContain('to be flagged');
    }
  });

  test('when the user is unknown, then 404 for reading and posting, and nothing is stored', async () => {
    expect((await sim(t.app, 'GET', path('/msgs', 'Nobody Here'))).statusCode).toBe(404);
    const post = await sim(t.app, 'POST', path('/msgs', 'Nobody Here'), { content: 'x' });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toEqual({ status: 404, error_msg: 'Unknown user: Nobody Here' });
    const rows = await t.db.query("SELECT 1 FROM messages WHERE text = 'x'");
    expect(rows).toHaveLength(0);
  });

  test('when a message is a few thousand characters of Unicode, then it is stored whole', async () => {
    const long = 'ÆØÅ 🐦 “quoted” '.repeat(400);
    await tweet(t.app, 'Geoffrey Stieff', long);
    const [first] = (await sim(t.app, 'GET', path('/msgs', 'Geoffrey Stieff', '?no=1'))).json<ApiMessage[]>();
    expect(first?.content).toBe(long);
  });
});

describe('follows', () => {
  test('when a user follows others, then /fllws lists them in the order followed', async () => {
    for (const whom of ['Wendell Ballan', 'Geoffrey Stieff']) {
      const reply = await sim(t.app, 'POST', path('/fllws', 'Roger Histand', '?latest=20'), { follow: whom });
      expect(reply.statusCode).toBe(204);
    }
    expect(await follows('Roger Histand')).toEqual(['Wendell Ballan', 'Geoffrey Stieff']);
    expect(await follows('Roger Histand', '?no=1')).toEqual(['Wendell Ballan']);
  });

  test('when a follow is repeated, then 204 and the user is followed once', async () => {
    const reply = await sim(t.app, 'POST', path('/fllws', 'Roger Histand'), { follow: 'Wendell Ballan' });
    expect(reply.statusCode).toBe(204);
    expect(await follows('Roger Histand')).toEqual(['Wendell Ballan', 'Geoffrey Stieff']);
  });

  test('when a user unfollows, then 204 and it is gone; unfollowing again is a 204 that changes nothing', async () => {
    for (let i = 0; i < 2; i++) {
      const reply = await sim(t.app, 'POST', path('/fllws', 'Roger Histand'), { unfollow: 'Wendell Ballan' });
      expect(reply.statusCode).toBe(204);
      expect(await follows('Roger Histand')).toEqual(['Geoffrey Stieff']);
    }
  });

  test('when either user is unknown, then 404 and nothing changes', async () => {
    expect((await sim(t.app, 'POST', path('/fllws', 'Ghost'), { follow: 'Roger Histand' })).statusCode).toBe(
      404,
    );
    expect((await sim(t.app, 'POST', path('/fllws', 'Roger Histand'), { follow: 'Ghost' })).statusCode).toBe(
      404,
    );
    expect(
      (await sim(t.app, 'POST', path('/fllws', 'Roger Histand'), { unfollow: 'Ghost' })).statusCode,
    ).toBe(404);
    expect((await sim(t.app, 'GET', path('/fllws', 'Ghost'))).statusCode).toBe(404);
    expect(await follows('Roger Histand')).toEqual(['Geoffrey Stieff']);
  });

  test('when the body names neither follow nor unfollow, then 400', async () => {
    const reply = await sim(t.app, 'POST', path('/fllws', 'Roger Histand'), { something: 'else' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json<{ error_msg: string }>().error_msg).toMatch(/follow/);
  });
});

describe('authorization', () => {
  const forbidden = { status: 403, error_msg: 'You are not authorized to use this resource!' };
  test.each([
    ['GET', '/msgs'],
    ['GET', '/msgs/Roger%20Histand'],
    ['POST', '/msgs/Roger%20Histand'],
    ['GET', '/fllws/Roger%20Histand'],
    ['POST', '/fllws/Roger%20Histand'],
  ] as const)(
    'when %s %s has no or wrong credentials, then 403 with the reference message',
    async (method, url) => {
      const body = method === 'POST' ? { content: 'x', follow: 'Geoffrey Stieff' } : undefined;
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Basic ' + Buffer.from('simulator:wrong').toString('base64') },
      ]) {
        const reply = await sim(t.app, method, url, body, { 'content-type': 'application/json', ...headers });
        expect(reply.statusCode).toBe(403);
        expect(reply.json()).toEqual(forbidden);
      }
    },
  );
});
