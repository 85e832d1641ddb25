// A server that goes silent (its host lost, the network between cut): no reply, no error, no closed
// connection, so neither the server's statement timeout nor a reset ends a statement sent to it. Seen in the
// three-node drill: replicas kept their pooled connections to a cut-off PostgreSQL and hung on them until
// restarted. The client's own query timeout must fail such a statement as "database unavailable" (a 503),
// in a transaction too, and throw its connection away, so the pool works again once a server answers.
// Here a relay in front of the test server stands in for the network: silenced, it swallows every byte.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { isDatabaseUnavailable, isQueryTimeout } from '../../src/db/errors.js';
import { openPostgres } from '../../src/db/postgres.js';
import { serverDatabaseForSuite } from '../helpers/database.js';

const serverRun = Boolean(process.env.DATABASE_URL);

/** A TCP relay to the server at `target` that can be told to drop every byte, both ways, and to stop. */
async function startRelay(target: URL) {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => silent || to.write(chunk));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    silence: () => (silent = true),
    speak: () => (silent = false),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

describe.runIf(serverRun)('when the database server goes silent', () => {
  const server = serverDatabaseForSuite();
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let db: Database;

  beforeAll(async () => {
    relay = await startRelay(new URL(server.url));
    const throughRelay = new URL(server.url);
    throughRelay.hostname = '127.0.0.1';
    throughRelay.port = String(relay.port);
    // One connection: a hung connection given back to the pool would be the one the next statement gets.
    db = await openPostgres({
      connectionString: throughRelay.href,
      poolSize: 1,
      statementTimeoutMs: 300,
      queryTimeoutMs: 1000,
    });
  });
  afterAll(async () => {
    await db?.close().catch(() => undefined);
    await relay?.close();
  });

  const failureOf = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (error: unknown) => error as Error,
    );

  test('then a statement fails as "database unavailable" and the next one, once it answers, works', async () => {
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    relay.silence();
    const failure = await failureOf(db.query('SELECT 2 AS two'));
    expect(failure).toBeInstanceOf(Error);
    expect(isQueryTimeout(failure)).toBe(true);
    expect(isDatabaseUnavailable(failure!)).toBe(true);
    relay.speak();
    expect(await db.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
  });

  test('then a transaction fails the same way instead of waiting on its ROLLBACK, and the next one works', async () => {
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const failure = await failureOf(
      db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        relay.silence();
        return tx.query('SELECT 2');
      }),
    );
    expect(isQueryTimeout(failure)).toBe(true);
    expect(isDatabaseUnavailable(failure!)).toBe(true);
    relay.speak();
    expect(await db.transaction((tx) => tx.query('SELECT 4 AS four'))).toEqual([{ four: 4 }]);
  });

  test('then a statement the server answers slowly is still its to cancel (statement timeout, not a lost connection)', async () => {
    const failure = await failureOf(db.query('SELECT pg_sleep(5)'));
    expect((failure as { code?: string } | undefined)?.code).toBe('57014');
    expect(isQueryTimeout(failure)).toBe(false);
    expect(await db.query('SELECT 5 AS five')).toEqual([{ five: 5 }]);
  });
});
