// Writes deploy/grafana/dashboards/*.json from the definitions in dashboards-*.ts. The JSON files are what
// Grafana provisions; edit the definitions and run this (a test fails while the two disagree):
//   npm run build --silent && node dist/scripts/observability/write-dashboards.js
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS, dashboardFileText } from './dashboards.js';
import { REPO_ROOT } from './paths.js';

const dir = join(REPO_ROOT, 'deploy/grafana/dashboards');
mkdirSync(dir, { recursive: true });
for (const { file, spec } of DASHBOARDS) {
  const path = join(dir, file);
  writeFileSync(path, await dashboardFileText(spec, path));
  console.log(`wrote ${join('deploy/grafana/dashboards', file)} (${spec.panels.length} panels)`);
}
