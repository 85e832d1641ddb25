// Starts what the check observes: the app (both roles, one process), the exporters this machine has, and
// a Prometheus scraping them every second with MiniTwit's real alert rules loaded.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import type { CheckDatabase } from './database.js';
import { findExecutable } from './executables.js';
import { REPO_ROOT } from '../lib/paths.js';
import { freePort, startProcess, waitForHttp } from '../lib/processes.js';

export interface Stack {
  apiUrl: string;
  webUrl: string;
  /** The app's operations port (METRICS_PORT): /metrics, and /readyz with details. */
  metricsUrl: string;
  prometheusUrl: string;
  appLog: string;
  /** Jobs scraped besides minitwit-api and prometheus: `node`, `postgres` when their exporter exists here. */
  exporters: Set<'node' | 'postgres'>;
}

async function startApp(
  tmp: string,
  db: CheckDatabase,
): Promise<Pick<Stack, 'apiUrl' | 'webUrl' | 'metricsUrl' | 'appLog'>> {
  const server = join(REPO_ROOT, 'dist/src/server.js');
  if (!existsSync(server)) throw new Error(`${server} is missing: run npm run build first`);
  const [webPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MINITWIT_ROLE: 'all',
    HOST: '127.0.0.1',
    PORT: String(webPort),
    API_PORT: String(apiPort),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    DATA_DIR: join(tmp, 'data'),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    // The traffic sends the course's simulator credentials; a server database takes them only when set.
    SIMULATOR_USERNAME: COURSE_SIMULATOR_CREDENTIALS.username,
    SIMULATOR_PASSWORD: COURSE_SIMULATOR_CREDENTIALS.password,
  };
  delete env.DATABASE_URL;
  if (db.url) env.DATABASE_URL = db.url;
  const appLog = join(tmp, 'app.log');
  const app = startProcess('app', process.execPath, [server], { env, logFile: appLog });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitForHttp(`${apiUrl}/readyz`, 60_000, app);
  return {
    apiUrl,
    webUrl: `http://127.0.0.1:${webPort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    appLog,
  };
}

async function startExporters(tmp: string, db: CheckDatabase) {
  const jobs: { job: 'node' | 'postgres'; target: string }[] = [];
  const nodeExporter = findExecutable('prometheus-node-exporter', 'node_exporter');
  if (nodeExporter) {
    const port = await freePort();
    const child = startProcess('node-exporter', nodeExporter, [`--web.listen-address=127.0.0.1:${port}`], {
      logFile: join(tmp, 'node-exporter.log'),
    });
    await waitForHttp(`http://127.0.0.1:${port}/metrics`, 15_000, child);
    jobs.push({ job: 'node', target: `127.0.0.1:${port}` });
  }
  const pgExporter = findExecutable('prometheus-postgres-exporter', 'postgres_exporter');
  if (pgExporter && db.exporterDsn) {
    const port = await freePort();
    const queries = join(REPO_ROOT, 'deploy/prometheus/postgres-exporter-queries.yml');
    const args = [`--web.listen-address=127.0.0.1:${port}`, `--extend.query-path=${queries}`];
    const env = { ...process.env, DATA_SOURCE_NAME: db.exporterDsn };
    const child = startProcess('postgres-exporter', pgExporter, args, {
      env,
      logFile: join(tmp, 'pg-exporter.log'),
    });
    await waitForHttp(`http://127.0.0.1:${port}/metrics`, 15_000, child);
    jobs.push({ job: 'postgres', target: `127.0.0.1:${port}` });
  }
  return jobs;
}

export async function startStack(tmp: string, db: CheckDatabase): Promise<Stack> {
  const prometheus = findExecutable('prometheus');
  if (!prometheus) throw new Error('prometheus is not installed (Debian: apt-get install -y prometheus)');
  const app = await startApp(tmp, db);
  const exporterJobs = await startExporters(tmp, db);
  const port = await freePort();
  // The operations port: one registry for the whole process (both roles, told apart by `role`), under
  // the job name the dashboards and alerts expect of the API.
  const jobs = [
    { job: 'minitwit-api', target: new URL(app.metricsUrl).host },
    ...exporterJobs,
    { job: 'prometheus', target: `127.0.0.1:${port}` },
  ];
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [join(REPO_ROOT, 'deploy/prometheus/rules/*.yml')],
    scrape_configs: jobs.map(({ job, target }) => ({
      job_name: job,
      static_configs: [{ targets: [target] }],
    })),
  };
  // JSON is YAML: no serializer needed.
  const configFile = join(tmp, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = startProcess(
    'prometheus',
    prometheus,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(tmp, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { logFile: join(tmp, 'prometheus.log') },
  );
  const prometheusUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${prometheusUrl}/-/ready`, 30_000, child);
  return { ...app, prometheusUrl, exporters: new Set(exporterJobs.map((j) => j.job)) };
}
