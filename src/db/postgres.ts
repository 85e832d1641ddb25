import pg from 'pg';
import { parseInt8, type Database, type Queryable } from './database.js';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** Told when an idle connection fails (the server restarted, a network cut); the pool replaces it. */
  onIdleError?: (error: Error) => void;
}

// int8 as a JS number (see parseInt8); every other type as pg parses it by default.
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, parseInt8);

/** A PostgreSQL server through a connection pool. */
export async function openPostgres(options: PostgresOptions): Promise<Database & { pool: pg.Pool }> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    types,
    connectionTimeoutMillis: 5000,
    // Connections stay open between bursts: opening one costs more than a whole simulator request.
    idleTimeoutMillis: 300_000,
  });
  // An idle client losing its server (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onIdleError?.(error));
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <Row>(sql: string, params: readonly unknown[] = []) =>
      (await q.query(sql, params as unknown[])).rows as Row[],
    exec: async (sql: string) => {
      await q.query(sql);
    },
  });
  // Fail at start, with the driver's own message, rather than at the first request.
  await pool.query('SELECT 1');
  return {
    kind: 'postgres',
    pool,
    ...wrap(pool),
    transaction: async (work) => {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: a connection lost between two statements
      // (the server restarted or crashed) would be an `error` event nobody hears, an uncaught exception.
      // Heard here, the transaction's next statement fails instead, and the client is thrown away.
      let lost: Error | undefined;
      const onLost = (error: Error) => (lost ??= error);
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: Error) => (lost ??= rollback));
        // pg's "not queryable" error says less than what was lost (57P01, "Connection terminated").
        throw lost ?? error;
      } finally {
        client.off('error', onLost);
        client.release(lost);
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
