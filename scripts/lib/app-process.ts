// The app as a child process, as production runs it (node dist/src/server.js): on free ports unless told
// which, ready once its operations port's /readyz answers, stopped by its own pid with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import { SERVER_ENTRY } from './paths.js';
import { freePort, waitForHttp } from './processes.js';

export interface AppProcess {
  web: string;
  api: string;
  /** The operations port: /metrics, /readyz. */
  metrics: string;
  child: ChildProcess;
  /** SIGTERM, then waits for the exit (a --cpu-prof profile is written by then). */
  stop(): Promise<void>;
}

export interface AppProcessOptions {
  /** On top of this process's environment and the defaults below (DATABASE_URL or DATA_DIR, a role...). */
  env?: NodeJS.ProcessEnv;
  /** Where its output goes (appended); else its stderr is ours and its stdout dropped. */
  logFile?: string;
  /** Node.js's own flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** The web port; the API and operations ports follow it. Default: free ports. */
  port?: number;
}

export async function startApp(options: AppProcessOptions = {}): Promise<AppProcess> {
  const [webPort, apiPort, metricsPort] = options.port
    ? [options.port, options.port + 1, options.port + 2]
    : [await freePort(), await freePort(), await freePort()];
  const log = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], {
    env: {
      ...process.env,
      SESSION_SECRET: 'minitwit-tools-session-secret-0123456789abcdef',
      // The tools send the course's simulator credentials (scripts/replay/simulator-requests.ts); on a
      // server database the app takes them only when they are set explicitly.
      SIMULATOR_USERNAME: COURSE_SIMULATOR_CREDENTIALS.username,
      SIMULATOR_PASSWORD: COURSE_SIMULATOR_CREDENTIALS.password,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(webPort),
      API_PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      ...options.env,
    },
    stdio: log === undefined ? ['ignore', 'ignore', 'inherit'] : ['ignore', log, log],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const app: AppProcess = {
    web: `http://127.0.0.1:${webPort}`,
    api: `http://127.0.0.1:${apiPort}`,
    metrics: `http://127.0.0.1:${metricsPort}`,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitForHttp(`${app.metrics}/readyz`, 120_000, child);
  } catch (error) {
    await app.stop();
    throw error;
  }
  return app;
}
