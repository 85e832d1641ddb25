// Checks the observability code against a REAL Prometheus (not part of npm test: it needs prometheus and
// promtool installed, e.g. Debian's `prometheus` package):
//   1. promtool: check config, check rules, test rules (the alert unit tests);
//   2. the app (embedded or a throwaway PostgreSQL database), the exporters this machine has, and a
//      Prometheus scraping them every second with MiniTwit's alert rules;
//   3. traffic: the simulator scenario replay when the CLI is built, plus a mixed load of our own;
//   4. every dashboard panel's PromQL must parse and return data; every alert expression must parse and
//      evaluate without error; every scrape target must be up.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  panelQueries,
  readDashboards,
  substituteGrafanaVariables,
} from '../observability/dashboard-queries.js';
import { openCheckDatabase } from '../observability/database.js';
import { REPO_ROOT } from '../lib/paths.js';
import {
  instantQuery,
  labelValues,
  ruleHealth,
  sampleLines,
  targetHealth,
} from '../observability/prometheus-api.js';
import { run as runProcess, startProcess, stopAll } from '../lib/processes.js';
import { startStack, type Stack } from '../observability/stack.js';
import { generateTraffic } from '../observability/traffic.js';
import { defineCommand, positiveInteger } from '../lib/command.js';

const USAGE = `Usage: minitwit check-observability [--traffic-seconds S]

Checks the Prometheus configuration, the alert rules and every Grafana panel against a real Prometheus
(needs prometheus and promtool, e.g. Debian's prometheus package): promtool checks and rule tests, then the
app, the exporters this machine has and Prometheus, traffic for S seconds (default 45, or
OBSERVABILITY_TRAFFIC_SECONDS), and every panel, alert and scrape target checked. Exit status 1 on any failure.`;

let TRAFFIC_SECONDS = 45;
const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy/prometheus');
const tally = { PASS: 0, FAIL: 0, SKIP: 0 };

function report(status: keyof typeof tally, what: string, detail = ''): void {
  tally[status]++;
  console.log(`${status}  ${what}${detail ? `  [${detail}]` : ''}`);
}

const ymlIn = (dir: string) =>
  readdirSync(join(PROMETHEUS_DIR, dir))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(dir, f));

async function promtool(): Promise<void> {
  console.log('\n== promtool');
  const checks: [string, string[]][] = [
    ['check config prometheus.yml', ['check', 'config', 'prometheus.yml']],
    ['check config prometheus.swarm.yml', ['check', 'config', 'prometheus.swarm.yml']],
    ['check rules', ['check', 'rules', ...ymlIn('rules')]],
    ['test rules', ['test', 'rules', ...ymlIn('tests')]],
  ];
  for (const [what, args] of checks) {
    const { code, output } = await runProcess('promtool', args, PROMETHEUS_DIR);
    report(code === 0 ? 'PASS' : 'FAIL', `promtool ${what}`, code === 0 ? '' : output.trim());
  }
}

/** The scenario replay (another part of this repository), when it is built; its verdict is only reported. */
async function startReplay(tmp: string, apiUrl: string) {
  const cli = join(REPO_ROOT, 'dist/scripts/minitwit.js');
  if (!existsSync(cli)) return undefined;
  const csv = join(tmp, 'scenario.csv');
  const generated = await runProcess(process.execPath, [cli, 'scenario', '--actions', '2000', '--out', csv]);
  if (generated.code !== 0) return undefined;
  const args = [cli, 'replay', '--url', apiUrl, '--csv', csv, '--concurrency', '4', '--quiet'];
  return startProcess('replay', process.execPath, args, { logFile: join(tmp, 'replay.log') });
}

async function traffic(tmp: string, stack: Stack): Promise<void> {
  console.log(`\n== traffic for ${TRAFFIC_SECONDS} s`);
  const replay = await startReplay(tmp, stack.apiUrl);
  console.log(
    replay ? '  replaying a 2000-action scenario, concurrency 4' : '  (no built replay: own load only)',
  );
  const own = await generateTraffic({ ...stack, sendLatest: !replay }, TRAFFIC_SECONDS * 1000);
  console.log(
    `  own load: ${own.requests} requests, by status ${JSON.stringify(own.byStatus)}, ${own.failures} failed`,
  );
  if (replay) {
    const code = replay.exitCode ?? 'still running (stopped now)';
    const tail = readFileSync(join(tmp, 'replay.log'), 'utf8').trim().split('\n').slice(-8);
    console.log(
      `  replay: exit ${code}; the end of its report:\n${tail.map((l) => `    | ${l}`).join('\n')}`,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 3000)); // a few more scrapes and rule evaluations
}

function checkAppLog(appLog: string): void {
  const lines = readFileSync(appLog, 'utf8').split('\n').filter(Boolean);
  const notJson = lines.filter((line) => {
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
  const access = lines.filter((line) => line.includes('"status_code"') && line.includes('"http.request.id"'));
  const ok = notJson.length === 0 && access.length > 0;
  report(
    ok ? 'PASS' : 'FAIL',
    'app log is ECS JSON',
    `${lines.length} lines, ${access.length} access lines, ${notJson.length} not JSON`,
  );
}

const needs = (expr: string): 'node' | 'postgres' | undefined =>
  /\bnode_/.test(expr) ? 'node' : /\bpg_|minitwit_table_rows/.test(expr) ? 'postgres' : undefined;

async function checkDashboards(stack: Stack, range: string): Promise<void> {
  console.log('\n== dashboards: every panel parses and returns data');
  for (const dashboard of readDashboards()) {
    const variables = (dashboard.json as { templating?: { list: { name: string; definition: string }[] } })
      .templating;
    for (const v of variables?.list ?? []) {
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(v.definition) ?? [];
      const values = metric && label ? await labelValues(stack.prometheusUrl, label, metric) : [];
      report(
        values.length ? 'PASS' : 'FAIL',
        `${dashboard.json.title} / variable $${v.name}`,
        values.join(', '),
      );
    }
    for (const query of panelQueries(dashboard)) {
      const what = `${query.dashboard} / ${query.panel}`;
      const expr = query.expression ?? '';
      if (query.datasource?.type !== 'prometheus') {
        report('SKIP', what, `${query.datasource?.type} is not run by this check`);
        continue;
      }
      const exporter = needs(expr);
      if (exporter && !stack.exporters.has(exporter)) {
        report('SKIP', what, `no ${exporter} exporter on this machine`);
        continue;
      }
      const outcome = await instantQuery(stack.prometheusUrl, substituteGrafanaVariables(expr, range));
      const ok = outcome.ok && outcome.results > 0;
      report(ok ? 'PASS' : 'FAIL', what, outcome.ok ? `${outcome.results} series` : outcome.error);
    }
  }
}

async function checkAlerts(stack: Stack): Promise<void> {
  console.log('\n== alert rules: every expression parses and evaluates');
  for (const file of ymlIn('rules')) {
    const { groups } = parse(readFileSync(join(PROMETHEUS_DIR, file), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    for (const rule of groups.flatMap((g) => g.rules)) {
      const outcome = await instantQuery(stack.prometheusUrl, rule.expr);
      report(
        outcome.ok ? 'PASS' : 'FAIL',
        `alert ${rule.alert}`,
        outcome.ok ? `${outcome.results} series match now` : outcome.error,
      );
    }
  }
  for (const rule of await ruleHealth(stack.prometheusUrl)) {
    const ok = rule.health === 'ok';
    report(
      ok ? 'PASS' : 'FAIL',
      `rule ${rule.name} evaluated by Prometheus`,
      ok ? `state ${rule.state}` : rule.lastError,
    );
  }
}

/** What the run measured, over its whole length: printed for the record, not judged. */
async function printFigures(stack: Stack, range: string): Promise<void> {
  console.log(`\n== measured over the run (${range})`);
  const count = `minitwit_http_request_duration_seconds_count`;
  const bucket = `minitwit_http_request_duration_seconds_bucket`;
  const figures: [string, string][] = [
    ['requests per second by role', `sum by (role) (rate(minitwit_http_requests_total[${range}]))`],
    ['p50 seconds by role', `histogram_quantile(0.5, sum by (le, role) (rate(${bucket}[${range}])))`],
    ['p99 seconds by role', `histogram_quantile(0.99, sum by (le, role) (rate(${bucket}[${range}])))`],
    [
      'share of API replies over 0.3 s',
      `1 - sum(rate(${bucket}{role="api", le="0.3"}[${range}])) / sum(rate(${count}{role="api"}[${range}]))`,
    ],
    [
      'p99 seconds of API routes',
      `histogram_quantile(0.99, sum by (le, method, route) (rate(${bucket}{role="api"}[${range}])))`,
    ],
    [
      'query p99 seconds by operation',
      `histogram_quantile(0.99, sum by (le, operation) (rate(minitwit_db_query_duration_seconds_bucket[${range}])))`,
    ],
    ['max pool waiting clients', `max_over_time(minitwit_db_pool_waiting_clients[${range}])`],
    ['max event-loop lag p99 seconds', `max_over_time(nodejs_eventloop_lag_p99_seconds[${range}])`],
    ['business events', `sum by (event, source) (increase(minitwit_business_events_total[${range}]))`],
  ];
  for (const [what, expr] of figures) {
    console.log(`  ${what}:`);
    for (const line of await sampleLines(stack.prometheusUrl, expr)) console.log(`    ${line}`);
  }
}

async function check(): Promise<number> {
  await promtool();
  const tmp = mkdtempSync(join(tmpdir(), 'minitwit-observability-'));
  const db = await openCheckDatabase();
  const started = Date.now();
  try {
    console.log(
      `\n== starting the app (${db.url ? 'a throwaway PostgreSQL database' : 'embedded PGlite'}) and Prometheus`,
    );
    const stack = await startStack(tmp, db);
    console.log(
      `  app ${stack.apiUrl} (api) ${stack.webUrl} (web); prometheus ${stack.prometheusUrl}; exporters: ${[...stack.exporters].join(', ') || 'none'}`,
    );
    await traffic(tmp, stack);
    console.log('\n== scrape targets and logs');
    for (const target of await targetHealth(stack.prometheusUrl)) {
      report(target.health === 'up' ? 'PASS' : 'FAIL', `target ${target.job} is up`, target.lastError);
    }
    checkAppLog(stack.appLog);
    const range = `${Math.ceil((Date.now() - started) / 1000)}s`;
    await checkDashboards(stack, range);
    await checkAlerts(stack);
    await printFigures(stack, range);
  } catch (error) {
    report('FAIL', 'the check itself', error instanceof Error ? error.message : String(error));
  } finally {
    await stopAll();
    await db.drop().catch(() => undefined);
  }
  console.log(`\n${tally.PASS} passed, ${tally.FAIL} failed, ${tally.SKIP} skipped`);
  if (tally.FAIL === 0) rmSync(tmp, { recursive: true, force: true });
  else console.log(`logs kept in ${tmp}`);
  return tally.FAIL === 0 ? 0 : 1;
}

export const run = defineCommand(
  {
    name: 'check-observability',
    summary: 'check the Prometheus rules and every dashboard panel against a real Prometheus',
    usage: USAGE,
    options: { 'traffic-seconds': { type: 'string' } },
  },
  async ({ values }, io) => {
    const seconds = values['traffic-seconds'] ?? io.env.OBSERVABILITY_TRAFFIC_SECONDS;
    TRAFFIC_SECONDS = positiveInteger(seconds, '--traffic-seconds', 45);
    return check();
  },
);
