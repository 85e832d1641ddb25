// One client must not hold every connection slot (issue 18, finding 3): with slow-header connections it
// filled MAX_CONNECTIONS and legitimate requests failed. Each client (an IPv4 address, an IPv6 /64) may
// hold at most MAX_CONNECTIONS_PER_CLIENT; a proxy TRUST_PROXY names carries many clients, so it is not
// capped as one. The attacker connects from 127.0.0.2, everyone else from 127.0.0.1 (both loopback).
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';

const ATTACKER = '127.0.0.2';
const LIMITS = {
  LOG_LEVEL: 'silent',
  MAX_CONNECTIONS: '20',
  MAX_CONNECTIONS_PER_CLIENT: '5',
  // Longer than the test: the attacker's connections stay open without topping them up.
  HEADERS_TIMEOUT_MS: '30000',
};

let t: TestApp | undefined;
const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  await t?.close();
});

async function listening(env: Record<string, string>) {
  t = await startApp({ role: 'web', env: { ...LIMITS, ...env } });
  const address = await t.web.listen({ host: '127.0.0.1', port: 0 });
  return { server: t.web.server, port: Number(new URL(address).port) };
}

/**
 * `count` connections from the attacker's address, each sending half a request's headers and then nothing;
 * resolves once the server has taken (or dropped at MAX_CONNECTIONS) every one of them, with the server's
 * end of each it took.
 */
async function slowHeaders(server: TestApp['web']['server'], port: number, count: number) {
  let seen = 0;
  const taken: Socket[] = [];
  const allSeen = new Promise<void>((resolve) => {
    const one = () => {
      if (++seen === count) resolve();
    };
    server.on('connection', (socket: Socket) => (taken.push(socket), one()));
    server.on('drop', one);
  });
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: '127.0.0.1', port, localAddress: ATTACKER });
    socket.on('error', () => undefined); // refused ones are reset
    socket.write('GET /public HTTP/1.1\r\nHost: minitwit.test\r\n');
    held.push(socket);
  }
  await allSeen;
  return taken;
}

/** One request on a connection of its own; true when it was answered. */
function answered(port: number, localAddress = '127.0.0.1', path = '/healthz'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, agent: false }, (reply) => {
      reply.resume();
      reply.on('end', () => resolve(reply.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

test('when one client holds slow-header connections past the global cap, then another client’s requests are still answered', async () => {
  const { server, port } = await listening({});
  await slowHeaders(server, port, 40);
  let ok = 0;
  for (let i = 0; i < 20; i++) if (await answered(port)) ok++;
  console.log(
    `finding 3: ${ok} of 20 legitimate requests answered while one client held slow-header connections (global cap 20, per client 5)`,
  );
  expect(ok).toBe(20);
});

test('when the client holding connections is a proxy TRUST_PROXY names, then it is not capped as one client', async () => {
  const { server, port } = await listening({ TRUST_PROXY: ATTACKER });
  await slowHeaders(server, port, 10);
  // Each held connection now finishes its request: all of them are served.
  const replies = held.map(
    (socket) =>
      new Promise<boolean>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\r\n\r\n')) resolve(text.startsWith('HTTP/1.1 200'));
        });
        socket.on('close', () => resolve(false));
        socket.write('\r\n');
      }),
  );
  expect(await Promise.all(replies)).toEqual(Array<boolean>(10).fill(true));
});

test('when a client closes its connections, then it may open new ones', async () => {
  const { server, port } = await listening({});
  const taken = await slowHeaders(server, port, 5);
  // Not events.once: it would reject on the 'error' the server's end may see first.
  const closed = taken.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
  for (const socket of held.splice(0)) socket.destroy();
  await Promise.all(closed); // the server's ends: it counts a connection until its own end closes
  expect(await answered(port, ATTACKER)).toBe(true);
});
