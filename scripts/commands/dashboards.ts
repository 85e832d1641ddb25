// minitwit dashboards: writes deploy/grafana/dashboards/*.json from their definitions in
// scripts/observability/dashboards-*.ts. The JSON files are what Grafana provisions; a test fails while
// the two disagree, so edit the definitions and run this.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../lib/command.js';
import { DASHBOARDS, dashboardFileText } from '../observability/dashboards.js';
import { REPO_ROOT } from '../lib/paths.js';

const USAGE = `Usage: minitwit dashboards

Writes deploy/grafana/dashboards/*.json from the definitions in scripts/observability/dashboards-*.ts.`;

export const run = defineCommand(
  {
    name: 'dashboards',
    summary: 'write the Grafana dashboards from their definitions',
    usage: USAGE,
    options: {},
  },
  async (_args, io) => {
    const dir = join(REPO_ROOT, 'deploy/grafana/dashboards');
    mkdirSync(dir, { recursive: true });
    for (const { file, spec } of DASHBOARDS) {
      const path = join(dir, file);
      writeFileSync(path, await dashboardFileText(spec, path));
      io.out(`wrote ${join('deploy/grafana/dashboards', file)} (${spec.panels.length} panels)`);
    }
    return 0;
  },
);
