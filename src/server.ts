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
  // A signal while starting (a rolling update that changes its mind) is held until start-up is done, then
  // handled like any other: one shutdown path, nothing closed twice.
  let signalled: string | undefined;
  let started = false;
  const onSignal = (signal: string) => {
    signalled ??= signal;
    if (started) void stop(signal);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  const db = instrumentDatabase(await openDatabase(config));
  const applied = await migrate(db);
  logger.info({ database: db.kind, applied }, 'database ready');
  await warmUp(db, config);

  const deps = { config, db, logger };
  const servers: { app: FastifyInstance; port: number; role: string }[] = [];
  if (config.role !== 'api')
    servers.push({ app: await buildWebApp(deps), port: config.webPort, role: 'web' });
  if (config.role !== 'web')
    servers.push({ app: await buildApiApp(deps), port: config.apiPort, role: 'api' });
  for (const { app, port, role } of servers) {
    if (signalled) break;
    const address = await app.listen({ host: config.host, port });
    logger.info({ role, address }, `MiniTwit ${role} listening on ${address}`);
  }

  async function stop(signal: string): Promise<void> {
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
    await db.close();
    logger.info('shutdown complete');
  }
  started = true;
  if (signalled) await stop(signalled);
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
