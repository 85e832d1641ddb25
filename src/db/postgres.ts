import pg from 'pg';
import { parseInt8, type Database, type Queryable } from './database.js';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? parseInt8
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A PostgreSQL server through a connection pool. */
export async function openPostgres(options: PostgresOptions): Promise<Database & { pool: pg.Pool }> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    types: typeParsers,
    connectionTimeoutMillis: 5000,
    // Connections stay open between bursts: opening one costs more than a whole simulator request.
    idleTimeoutMillis: 300_000,
  });
  // An idle client losing its server (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
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
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
