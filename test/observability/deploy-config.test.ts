import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { panelQueries, panelsOf, readDashboards } from '../../scripts/observability/dashboard-queries.js';
import { DASHBOARDS, dashboardFileText } from '../../scripts/observability/dashboards.js';
import { REPO_ROOT } from '../../scripts/observability/paths.js';

const deploy = (path: string) => join(REPO_ROOT, 'deploy', path);
const readYaml = (path: string) => parse(readFileSync(deploy(path), 'utf8')) as Record<string, unknown>;
const readJson = (path: string) => JSON.parse(readFileSync(deploy(path), 'utf8')) as Record<string, unknown>;

interface AlertRule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const ruleFiles = readdirSync(deploy('prometheus/rules')).filter((f) => f.endsWith('.yml'));
const alerts: AlertRule[] = ruleFiles.flatMap((file) =>
  (readYaml(`prometheus/rules/${file}`).groups as { rules: AlertRule[] }[]).flatMap((g) => g.rules),
);

describe('Prometheus configuration', () => {
  test.each(['prometheus.yml', 'prometheus.swarm.yml'])(
    '%s scrapes both roles, node and postgres',
    (file) => {
      const config = readYaml(`prometheus/${file}`);
      const jobs = (config.scrape_configs as { job_name: string }[]).map((job) => job.job_name);
      expect(jobs).toEqual(expect.arrayContaining(['minitwit-web', 'minitwit-api', 'node', 'postgres']));
      expect(config.rule_files).toEqual(['rules/*.yml']);
    },
  );

  test('every alert has a severity, a summary, a description and a runbook', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const rule of alerts) {
      expect(rule.alert, rule.expr).toMatch(/^[A-Z]\w+$/);
      expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning)$/);
      for (const key of ['summary', 'description', 'runbook'])
        expect(rule.annotations?.[key], `${rule.alert} ${key}`).toBeTruthy();
      expect(rule.annotations?.runbook).toContain(`README-operating.md#${rule.alert!.toLowerCase()}`);
    }
  });

  test('every alert has a promtool unit test, and the runbook has its section', () => {
    const tests = readdirSync(deploy('prometheus/tests'))
      .map((file) => readFileSync(deploy(`prometheus/tests/${file}`), 'utf8'))
      .join('\n');
    const runbook = readFileSync(deploy('README-operating.md'), 'utf8');
    for (const { alert } of alerts) {
      expect(tests, `no firing test of ${alert}`).toMatch(
        new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`),
      );
      expect(runbook, `no runbook section for ${alert}`).toMatch(new RegExp(`^### ${alert}$`, 'm'));
    }
  });

  test('the postgres-exporter queries parse', () => {
    const queries = readYaml('prometheus/postgres-exporter-queries.yml') as Record<
      string,
      { query: string; metrics: unknown[] }
    >;
    // The table sizes (Business growth dashboard) and WAL archiving (MinitwitWalArchivingFailing).
    expect(Object.keys(queries)).toEqual(['minitwit_table', 'minitwit_archiver']);
    for (const { query, metrics } of Object.values(queries)) {
      expect(query).toMatch(/^SELECT /);
      expect(metrics.length).toBeGreaterThan(0);
    }
  });
});

describe('Grafana', () => {
  const datasources = readYaml('grafana/provisioning/datasources/datasources.yml').datasources as {
    uid: string;
    type: string;
  }[];
  const known = new Map(datasources.map((d) => [d.uid, d.type]));
  const dashboards = readDashboards();

  test('the datasources are Prometheus and Elasticsearch, by uid', () => {
    expect(Object.fromEntries(known)).toEqual({ prometheus: 'prometheus', elasticsearch: 'elasticsearch' });
    const provider = readYaml('grafana/provisioning/dashboards/minitwit.yml');
    expect((provider.providers as { type: string }[])[0]?.type).toBe('file');
  });

  test('the dashboards are the service overview, simulator, business growth, runtime, host', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'minitwit-business',
      'minitwit-host',
      'minitwit-runtime',
      'minitwit-service',
      'minitwit-simulator',
    ]);
  });

  test('every panel has a provisioned datasource (by uid) and an expression', () => {
    for (const dashboard of dashboards) {
      expect(panelsOf(dashboard).length, dashboard.file).toBeGreaterThan(0);
      for (const query of panelQueries(dashboard)) {
        const where = `${dashboard.file}: ${query.panel}`;
        expect(query.datasource?.uid, where).toBeDefined();
        expect(known.get(query.datasource!.uid!), where).toBe(query.datasource?.type);
        expect(query.expression?.trim(), where).toBeTruthy();
      }
    }
  });

  test('the JSON files are what the definitions in scripts/observability generate', async () => {
    for (const { file, spec } of DASHBOARDS) {
      const path = deploy(`grafana/dashboards/${file}`);
      const text = readFileSync(path, 'utf8');
      expect(text, `${file} is stale: run npm run dashboards`).toBe(await dashboardFileText(spec, path));
    }
  });
});

describe('log shipping', () => {
  test('filebeat.yml decodes the JSON lines and writes to the minitwit-logs data stream', () => {
    const config = readYaml('logging/filebeat.yml');
    const processors = config.processors as Record<string, unknown>[];
    expect(processors.some((p) => 'decode_json_fields' in p)).toBe(true);
    expect((config['output.elasticsearch'] as { index: string }).index).toBe('minitwit-logs');
  });

  test('the index template uses the ILM policy, which deletes after 14 days', () => {
    const template = readJson('logging/index-template.json') as {
      index_patterns: string[];
      template: { settings: Record<string, unknown> };
    };
    expect(template.index_patterns).toEqual(['minitwit-logs*']);
    expect(template.template.settings['index.lifecycle.name']).toBe('minitwit-logs');
    const policy = readJson('logging/ilm-policy.json') as {
      policy: { phases: { delete: { min_age: string } } };
    };
    expect(policy.policy.phases.delete.min_age).toBe('14d');
  });
});
