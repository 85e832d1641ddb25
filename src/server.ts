// The entry point: configuration, database, migrations, then the roles this process serves, listening.
// On SIGTERM/SIGINT it stops accepting, finishes in-flight requests, and closes the database.
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from './api/app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/index.js';
import { migrate } from './db/migrate.js';
import { instrumentDatabase } from './observability/database-metrics.js';
import { createLogger } from './observability/logger.js';
import { buildWebApp } from './web/app.js';
import { hashPassword } from './accounts/passwords.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`minitwit: ${error.message}`);
    process.exit(2);
  }
  const logger = createLogger(config);
  const servers: { app: FastifyInstance; port: number; role: string }[] = [];
  // Assigned once, after the signal handlers below that need to see it (prefer-const cannot express that).
  // eslint-disable-next-line prefer-const
  let db: Database | undefined;

  // Handlers go in first: a SIGTERM while starting (a rolling update that changes its mind) stops cleanly too.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    // close() refuses new requests and waits for in-flight ones; connections that finish a request while
    // closing would otherwise sit idle in keep-alive until their timeout, so they are swept as they idle.
    const sweep = setInterval(() => servers.forEach(({ app }) => app.server.closeIdleConnections()), 100);
    await Promise.all(servers.map(({ app }) => app.close()));
    clearInterval(sweep);
    await db?.close();
    logger.info('shutdown complete');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  db = instrumentDatabase(await openDatabase(config));
  const applied = await migrate(db);
  logger.info({ database: db.kind, applied }, 'database ready');
  await warmUp(db, config);

  const deps = { config, db, logger };
  if (config.role !== 'api')
    servers.push({ app: await buildWebApp(deps), port: config.webPort, role: 'web' });
  if (config.role !== 'web')
    servers.push({ app: await buildApiApp(deps), port: config.apiPort, role: 'api' });
  for (const { app, port, role } of servers) {
    if (stopping) break;
    const address = await app.listen({ host: config.host, port });
    logger.info({ role, address }, `MiniTwit ${role} listening on ${address}`);
  }
  if (stopping) await Promise.all(servers.map(({ app }) => app.close())).then(() => db?.close());
}

/**
 * The first requests must not pay for a cold start (the simulator times out at 0.3 s): argon2's native
 * module, its thread pool and memory, and the pool's first connections are made before we listen.
 */
async function warmUp(db: Database, config: Config): Promise<void> {
  const connections = Array.from({ length: Math.min(config.dbPoolSize, 4) }, () => db.query('SELECT 1'));
  await Promise.all([hashPassword('warm-up'), ...connections]);
}

main().catch((error: unknown) => {
  console.error('minitwit: failed to start:', error);
  process.exit(1);
});
