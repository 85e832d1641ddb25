// The entry point: configuration, database, migrations, then the roles this process serves, listening.
// On SIGTERM/SIGINT (or an uncaught error) it stops as a rolling update needs: it first says it is not
// ready and keeps serving for SHUTDOWN_DRAIN_MS while the balancer moves away, then stops accepting,
// finishes in-flight requests and closes the database, all within SHUTDOWN_TIMEOUT_MS.
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApps, startServices, type RoleApp, type StartedServices } from './app.js';
import { loadServerConfig, type Config } from './config.js';
import { ConfigError } from './settings.js';
import { createLogger } from './observability/logger.js';

function loadConfigOrExit(): Config {
  try {
    return loadServerConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`minitwit: ${error.message}`);
    process.exit(2);
  }
}

const config = loadConfigOrExit();
const logger = createLogger(config);
let services: StartedServices | undefined;
let apps: RoleApp[] = [];
let stopping = false;

async function start(): Promise<void> {
  services = await startServices(config, logger);
  apps = await buildApps(services);
  for (const { app, host, port, role } of apps) {
    if (stopping) return;
    const address = await app.listen({ host, port });
    logger.info({ role, address }, `MiniTwit ${role} listening on ${address}`);
  }
}

async function stop(): Promise<void> {
  for (const { app } of apps) app.startDraining();
  if (config.shutdownDrainMs > 0 && apps.some(({ app }) => app.server.listening)) {
    logger.info({ drainMs: config.shutdownDrainMs }, 'draining: not ready, still serving');
    await sleep(config.shutdownDrainMs);
  }
  logger.info('closing: finishing in-flight requests');
  // close() refuses new requests and waits for in-flight ones; connections that finish a request while
  // closing would otherwise sit idle in keep-alive until their timeout, so they are swept as they idle.
  const sweep = setInterval(() => apps.forEach(({ app }) => app.server.closeIdleConnections()), 100);
  await Promise.all(apps.map(({ app }) => app.close()));
  clearInterval(sweep);
  await services?.close();
  logger.info('shutdown complete');
}

const starting = start();
closeWithGrace({ delay: config.shutdownTimeoutMs, logger }, async ({ signal, err }) => {
  if (err) logger.fatal({ err }, 'uncaught error: shutting down');
  else logger.info({ signal }, 'shutting down');
  stopping = true;
  // A signal while starting (a rolling update that changes its mind) is held until start-up is done, then
  // handled like any other: one shutdown path, nothing closed twice.
  await starting.catch(() => undefined);
  await stop();
});

starting.catch(async (error: unknown) => {
  logger.fatal({ err: error }, 'failed to start');
  await services?.close().catch(() => undefined);
  process.exit(1);
});
