// A server connection that dies in the middle of a transaction (the server restarted or crashed between
// two of its statements): pg reports it as an `error` event on the checked-out client, which has no
// listener of the pool's while it is checked out; unheard, that event is an uncaught exception that ends
// the process. The transaction must fail like any other unavailable-database error (a 503), and the pool
// must go on with a new connection. Only a server has connections to lose: on PGlite there is nothing here.
import pg from 'pg';
import { describe, expect, test, vi } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import { serverDatabaseForSuite } from '../helpers/database.js';

const serverRun = Boolean(process.env.DATABASE_URL);

describe.runIf(serverRun)('when the connection of a transaction dies between two statements', () => {
  const server = serverDatabaseForSuite();

  test('then the transaction fails as "database unavailable", nothing crashes, and the next one works', async () => {
    const killer = new pg.Client({ connectionString: server.url });
    await killer.connect();
    const failure = await server.db
      .transaction(async (tx) => {
        const [backend] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // The server ends this transaction's connection (as a restart would: FATAL 57P01)...
        await killer.query('SELECT pg_terminate_backend($1)', [backend!.pid]);
        // ...and the client hears of it while no statement of ours is running: the backend sends its FATAL
        // before it exits, so once the server no longer lists it, the message is on its way to us.
        await vi.waitFor(
          async () =>
            expect(
              (await killer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend!.pid])).rowCount,
            ).toBe(0),
          { timeout: 20_000, interval: 20 },
        );
        return tx.query('SELECT 1');
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await killer.end();
    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failure as Error)).toBe(true);
    expect(await server.db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await server.db.transaction((tx) => tx.query('SELECT 2 AS two'))).toEqual([{ two: 2 }]);
  });
});
