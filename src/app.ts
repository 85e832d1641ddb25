// The composition root: how a MiniTwit process is put together. The server (src/server.ts) and every test
// helper start the services and build the apps through these functions (the ops scripts start the
// database alone), so what the tests exercise is the production wiring.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApiApp } from './api/app.js';
import { startInvalidation } from './caching/invalidation.js';
import { ReadCache } from './caching/read-cache.js';
import type { Config } from './config.js';
import { acceptsCourseCredentials } from './api/simulator/credentials.js';
import { openDatabase, type Database } from './db/index.js';
import { migrate } from './db/migrate.js';
import { backfillNameSkeletons } from './minitwit.js';
import { capConnectionsPerClient } from './http/connections-per-client.js';
import type { Services } from './http/server-options.js';
import type { AppRole } from './observability/metrics.js';
import { buildOperationsApp } from './operations/app.js';
import { instrumentDatabase } from './observability/database-metrics.js';
import { setHashConcurrency, warmUpHashing } from './passwords.js';
import { isTrustedProxy } from './trust-proxy.js';
import { buildWebApp } from './web/app.js';

export interface StartOptions {
  /** Opens the database; by default the one the configuration names (tests hand in a cloned template). */
  open?: () => Promise<Database>;
}

/** The configured database, timed for metrics, migrated and warmed up: ready to serve. */
export async function startDatabase(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<Database> {
  setHashConcurrency(config.passwordHashConcurrency);
  const db = instrumentDatabase(await (options.open ?? (() => openDatabase(config, logger)))());
  try {
    const applied = await runMigrations(db, config, logger);
    const { computed: skeletons, lookalikes } = await backfillNameSkeletons(db);
    if (lookalikes.length)
      logger.warn(
        { lookalikes: lookalikes.slice(0, 100) },
        `${lookalikes.length} groups of existing users have names that look alike (the first 100 listed; no one was renamed, new look-alikes are refused)`,
      );
    logger.info({ database: db.kind, applied, ...(skeletons ? { skeletons } : {}) }, 'database ready');
    await warmUp(db, config);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** What the apps are built on, and how to let go of it once they are closed. */
export interface StartedServices extends Services {
  close(): Promise<void>;
}

/** The started database and the process's read cache: what buildApps builds on. */
export async function startServices(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<StartedServices> {
  const db = await startDatabase(config, logger, options);
  try {
    const { cache, invalidation } = await startReadCache(db, config, logger);
    const close = async () => {
      await invalidation?.close();
      await db.close();
    };
    return { config, db, cache, logger, close };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** The migrations, over MIGRATION_DATABASE_URL (the schema's owner) when it is set, else over `db`. */
async function runMigrations(db: Database, config: Config, logger: Logger): Promise<string[]> {
  if (!config.migrationDatabaseUrl) return migrate(db);
  const owner = await openDatabase(
    { ...config, databaseUrl: config.migrationDatabaseUrl, dbPoolSize: 1 },
    logger,
  );
  try {
    return await migrate(owner);
  } finally {
    await owner.close();
  }
}

/**
 * The process's read cache (src/caching/): on a server, kept in step with the other replicas through
 * LISTEN/NOTIFY; on PGlite, one process, changes are all local.
 */
async function startReadCache(db: Database, config: Config, logger: Logger) {
  const cache = new ReadCache();
  const invalidation =
    db.kind === 'postgres' && config.databaseUrl
      ? await startInvalidation(cache, config.databaseUrl, logger)
      : undefined;
  // A server database opened without its URL (none in production) cannot be listened to: no cache.
  if (db.kind === 'postgres' && !invalidation) cache.setEnabled(false);
  return { cache, invalidation };
}

/**
 * The first requests must not pay for a cold start (the simulator times out at 0.3 s): argon2's native
 * module, each of its threads' memory, and the pool's connections are made before we listen (a burst
 * opening connections in the first requests costs each a PostgreSQL backend's start), up to the default
 * pool's ten: a larger pool is a choice for sustained load, not for the first burst.
 */
async function warmUp(db: Database, config: Config): Promise<void> {
  const connections = Array.from({ length: Math.min(config.dbPoolSize, 10) }, () => db.query('SELECT 1'));
  await Promise.all([warmUpHashing(), ...connections]);
}

export interface RoleApp {
  role: AppRole;
  host: string;
  port: number;
  app: FastifyInstance;
}

/**
 * The apps this process serves, built on one started database; none of them listens yet: the roles
 * MINITWIT_ROLE asks for, on HOST, and the operations app (metrics, probes) on METRICS_HOST.
 */
export async function buildApps(services: Services): Promise<RoleApp[]> {
  const { role, host, webPort, apiPort, metricsHost, metricsPort } = services.config;
  if (role !== 'web' && acceptsCourseCredentials(services.config))
    services.logger.warn(
      "The simulator API accepts the course's published credentials: anyone can read them, and with them post and follow as any user. Set SIMULATOR_USERNAME and SIMULATOR_PASSWORD unless this serves the course's simulator",
    );
  const apps: RoleApp[] = [];
  if (role !== 'api') apps.push({ role: 'web', host, port: webPort, app: await buildWebApp(services) });
  if (role !== 'web') apps.push({ role: 'api', host, port: apiPort, app: await buildApiApp(services) });
  apps.push({
    role: 'metrics',
    host: metricsHost,
    port: metricsPort,
    app: await buildOperationsApp(services),
  });
  // Past this many open connections Node closes new ones at once, before they cost a request; on the
  // public ports, one client's past its own share too (the operations port is internal).
  const { maxConnections, maxConnectionsPerClient, trustProxy } = services.config;
  const isProxy = isTrustedProxy(trustProxy);
  for (const { app, role } of apps) {
    app.server.maxConnections = maxConnections;
    if (role !== 'metrics' && maxConnectionsPerClient > 0)
      capConnectionsPerClient(app.server, maxConnectionsPerClient, isProxy);
  }
  await Promise.all(apps.map(({ app }) => app.ready()));
  return apps;
}
