import { createHash } from 'node:crypto';
import pg from 'pg';
import { isQueryTimeout } from './errors.js';
import { parseInt8, type Database, type ExecOptions, type Queryable } from './database.js';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** Set on every connection: the server cancels a statement that runs longer (0: never). */
  statementTimeoutMs?: number;
  /**
   * A statement with no answer from the server this long after it was sent fails on the client side, and
   * its connection is thrown away (0: never). For a server gone silent: a cut network or a lost host
   * answers neither the statement nor the server's own cancel at statementTimeoutMs, and the request would
   * otherwise hang on that connection until the kernel gives the socket up, many minutes later.
   */
  queryTimeoutMs?: number;
  /** Named prepared statements (default); false: every statement unnamed (parsed and planned each time). */
  preparedStatements?: boolean;
  /** Told when an idle connection fails (the server restarted, a network cut); the pool replaces it. */
  onIdleError?: (error: Error) => void;
}

// int8 as a JS number (see parseInt8), timestamptz through a fast path; every other type as pg parses it.
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, parseInt8);
const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => unknown;
types.setTypeParser(
  pg.types.builtins.TIMESTAMPTZ,
  (text) => parseUtcTimestamp(text) ?? parseTimestamptz(text),
);

/**
 * `2026-11-28 10:04:25.123456+00`, as the server sends a timestamptz in UTC (its default zone here and in
 * our images), read digit by digit instead of by the driver's general parser (a tenth of a timeline's CPU
 * time when profiled); anything else (another zone, BC, infinity, years before 1000) is left to that
 * parser. Milliseconds are truncated, as the driver does.
 */
export function parseUtcTimestamp(text: string): Date | undefined {
  const length = text.length;
  if (length < 22 || length > 29 || text.charCodeAt(length - 3) !== 43 /* + */) return undefined;
  if (text.charCodeAt(length - 2) !== 48 || text.charCodeAt(length - 1) !== 48) return undefined;
  const fields = [0, 0, 0, 0, 0, 0, 0]; // year, month, day, hour, minute, second, millisecond
  const separators = '-- ::.';
  let field = 0;
  let digits = 0;
  for (let i = 0; i < length - 3; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      digits++;
      if (field < 6 || digits <= 3) fields[field] = fields[field]! * 10 + code - 48;
    } else if (field < 6 && text[i] === separators[field] && digits === (field === 0 ? 4 : 2)) {
      field++;
      digits = 0;
    } else return undefined;
  }
  if (field < 5 || (field === 5 && digits !== 2) || (field === 6 && digits === 0) || fields[0]! < 1000)
    return undefined;
  for (let scale = digits; field === 6 && scale < 3; scale++) fields[6] = fields[6]! * 10;
  const [year, month, day, hour, minute, second, ms] = fields as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
}

/**
 * Every statement runs as a named prepared statement: each connection parses and plans it once, then only
 * binds and executes it (pgbench, the simulator's post, one client: 0.53 ms unnamed, 0.38 ms prepared).
 * The name is the text's hash, so one text has one name on every connection. The app's statements are
 * fixed texts; past PREPARED_MAX distinct texts (a script's own, say), the rest run unnamed.
 */
const PREPARED_MAX = 1000;
const statementNames = new Map<string, string>();
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < PREPARED_MAX) {
    name = `minitwit_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** A PostgreSQL server through a connection pool. */
export async function openPostgres(options: PostgresOptions): Promise<Database & { pool: pg.Pool }> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    types,
    connectionTimeoutMillis: 5000,
    // A startup parameter of every connection, so it holds for every statement, in transactions too.
    statement_timeout: options.statementTimeoutMs ?? 0,
    // Connections stay open between bursts: opening one costs more than a whole simulator request.
    idleTimeoutMillis: 300_000,
  });
  // An idle client losing its server (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onIdleError?.(error));
  const nameOf = options.preparedStatements === false ? () => undefined : statementName;
  // pg's per-statement option (@types/pg does not declare it). Not on exec: a migration or a restore may
  // rightly run for minutes. pg's pool throws away a connection whose statement failed this way.
  const timeout = options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {};
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <Row>(sql: string, params: readonly unknown[] = []) =>
      (
        await q.query({
          text: sql,
          values: params as unknown[],
          name: nameOf(sql),
          ...timeout,
        } as pg.QueryConfig)
      ).rows as Row[],
    exec: async (sql: string, options?: ExecOptions) => {
      // Unnamed: a restore's statements are run once each, and can be a megabyte long. (pg has the
      // option; @types/pg does not declare it.)
      if (options?.oneStatement) await q.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig);
      else await q.query(sql);
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
      const control = (sql: string) => client.query({ text: sql, ...timeout } as pg.QueryConfig);
      try {
        await control('BEGIN');
        const result = await work(wrap(client));
        await control('COMMIT');
        return result;
      } catch (error) {
        // A silent server: its connection still holds the unanswered statement, a ROLLBACK would wait
        // behind it for good. The connection is thrown away instead, which ends the transaction too.
        if (isQueryTimeout(error)) lost ??= error as Error;
        else await control('ROLLBACK').catch((rollback: Error) => (lost ??= rollback));
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
