// The queries each dashboard panel runs, as the check script (against a real Prometheus) and the tests
// (on the JSON files) both need them, with Grafana's variables replaced by values Prometheus accepts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/paths.js';

const DASHBOARD_DIR = join(REPO_ROOT, 'deploy/grafana/dashboards');

export interface PanelQuery {
  dashboard: string;
  panel: string;
  datasource: { type?: string; uid?: string } | undefined;
  /** PromQL for Prometheus panels, Lucene for Elasticsearch ones. */
  expression: string | undefined;
}

interface GrafanaPanel {
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; query?: string; datasource?: { type?: string; uid?: string } }[];
  panels?: GrafanaPanel[];
}

export interface Dashboard {
  file: string;
  json: { uid?: string; title?: string; panels?: GrafanaPanel[] };
}

export function readDashboards(dir = DASHBOARD_DIR): Dashboard[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard['json'] }));
}

/** Every panel, rows' nested panels included: a row itself has no query. */
export function panelsOf(dashboard: Dashboard): GrafanaPanel[] {
  const flat: GrafanaPanel[] = [];
  const visit = (panels: GrafanaPanel[] = []) => {
    for (const panel of panels) {
      if (panel.type === 'row') visit(panel.panels);
      else flat.push(panel);
    }
  };
  visit(dashboard.json.panels);
  return flat;
}

export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) => {
    const targets = panel.targets?.length ? panel.targets : [{}];
    return targets.map((target, index) => ({
      dashboard: dashboard.json.title ?? dashboard.file,
      panel: `${panel.title ?? '(untitled)'}${targets.length > 1 ? ` #${index + 1}` : ''}`,
      datasource: target.datasource ?? panel.datasource,
      expression: target.expr ?? target.query,
    }));
  });
}

/**
 * Grafana's variables as a short run sees them: rate windows of a minute, the whole run as the range,
 * and every template variable ("All") as a regex matching anything.
 */
export function substituteGrafanaVariables(expr: string, range = '5m'): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', range)
    .replace(/=~"\$\w+"/g, '=~".*"')
    .replace(/\$\{?\w+\}?/g, '.*');
}
