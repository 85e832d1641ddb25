// A small vocabulary for Grafana dashboards as code: panels are declared by what they show (a title, a
// unit, PromQL), and the JSON Grafana wants (ids, grid positions, datasource refs) is derived here.
// Every panel uses a datasource by uid, the uids provisioned in deploy/grafana/provisioning/datasources.

const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' } as const;
const ELASTICSEARCH = { type: 'elasticsearch', uid: 'elasticsearch' } as const;

interface Query {
  expr: string;
  legend?: string;
  /** One value now (stat, table) rather than a range of values over time. */
  instant?: boolean;
}

interface PanelSpec {
  title: string;
  description: string;
  type?: 'timeseries' | 'stat' | 'table' | 'logs';
  unit?: string;
  /** Grid width out of 24 (default 12); panels flow left to right, top to bottom. */
  width?: number;
  height?: number;
  queries?: Query[];
  /** A Lucene query for a logs panel on Elasticsearch instead of PromQL. */
  logQuery?: string;
  thresholds?: { color: string; value: number | null }[];
  min?: number;
  max?: number;
  stack?: boolean;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: { name: string; label: string; query: string }[];
  panels: PanelSpec[];
}

const refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function prometheusTarget(query: Query, index: number) {
  return {
    refId: refIds[index],
    datasource: PROMETHEUS,
    expr: query.expr,
    legendFormat: query.legend ?? '__auto',
    range: !query.instant,
    instant: Boolean(query.instant),
    ...(query.instant ? { format: 'table' } : {}),
  };
}

function logsTarget(query: string) {
  return {
    refId: 'A',
    datasource: ELASTICSEARCH,
    query,
    queryType: 'lucene',
    metrics: [{ id: '1', type: 'logs' }],
    bucketAggs: [],
    timeField: '@timestamp',
  };
}

function panel(spec: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  const type = spec.type ?? 'timeseries';
  const isLogs = type === 'logs';
  const defaults = {
    ...(spec.unit ? { unit: spec.unit } : {}),
    ...(spec.min !== undefined ? { min: spec.min } : {}),
    ...(spec.max !== undefined ? { max: spec.max } : {}),
    ...(spec.thresholds ? { thresholds: { mode: 'absolute', steps: spec.thresholds } } : {}),
    ...(type === 'timeseries'
      ? {
          custom: {
            lineWidth: 1,
            fillOpacity: spec.stack ? 30 : 10,
            stacking: { mode: spec.stack ? 'normal' : 'none' },
          },
        }
      : {}),
  };
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: isLogs ? ELASTICSEARCH : PROMETHEUS,
    gridPos,
    ...(isLogs ? {} : { fieldConfig: { defaults, overrides: [] } }),
    options: isLogs
      ? { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true }
      : type === 'timeseries'
        ? {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi' },
          }
        : {},
    targets: isLogs ? [logsTarget(spec.logQuery ?? '*')] : (spec.queries ?? []).map(prometheusTarget),
  };
}

function variable(v: DashboardSpec['variables'][number]) {
  return {
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: PROMETHEUS,
    definition: v.query,
    query: { query: v.query, refId: `${v.name}-values` },
    includeAll: true,
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    refresh: 2,
    sort: 1,
  };
}

/** The Grafana JSON of a dashboard, stable (same input, same output) so it can be committed and diffed. */
export function dashboardJson(spec: DashboardSpec): object {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = spec.panels.map((p, index) => {
    const w = p.width ?? 12;
    const h = p.height ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return panel(p, index + 1, gridPos);
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['minitwit'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    timezone: 'browser',
    graphTooltip: 1,
    links: [],
    annotations: { list: [] },
    templating: { list: spec.variables.map(variable) },
    panels,
  };
}
