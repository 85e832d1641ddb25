import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { secureDataDir } from './data-dir.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export type { Database, Queryable, PoolStats } from './database.js';

/**
 * The database the configuration names: a server when DATABASE_URL is set, else PGlite in DATA_DIR (made
 * owner-only first: src/db/data-dir.ts).
 */
export function openDatabase(
  config: Pick<
    Config,
    'databaseUrl' | 'dataDir' | 'dbPoolSize' | 'dbStatementTimeoutMs' | 'dbPreparedStatements'
  >,
  logger: Pick<Logger, 'warn'>,
): Promise<Database> {
  if (!config.databaseUrl) secureDataDir(config.dataDir);
  return config.databaseUrl
    ? openPostgres({
        connectionString: config.databaseUrl,
        poolSize: config.dbPoolSize,
        statementTimeoutMs: config.dbStatementTimeoutMs,
        // The server's cancel at the statement timeout takes a round trip: a second more for it.
        queryTimeoutMs: config.dbStatementTimeoutMs && config.dbStatementTimeoutMs + 1000,
        preparedStatements: config.dbPreparedStatements === 'on',
        onIdleError: (error) =>
          logger.warn({ err: error }, 'an idle database connection failed; it is replaced'),
      })
    : openPglite({ dataDir: `${config.dataDir}/pglite` });
}
