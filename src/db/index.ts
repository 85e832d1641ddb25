import type { Config } from '../config.js';
import type { Database } from './database.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export type { Database, Queryable, PoolStats } from './database.js';

/** The database the configuration names: a server when DATABASE_URL is set, else PGlite in DATA_DIR. */
export function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>,
): Promise<Database> {
  return config.databaseUrl
    ? openPostgres({ connectionString: config.databaseUrl, poolSize: config.dbPoolSize })
    : openPglite({ dataDir: `${config.dataDir}/pglite` });
}
