// Every MiniTwit dashboard, and the file each is provisioned from (deploy/grafana/dashboards/).
import { dashboardJson, type DashboardSpec } from './grafana-model.js';
import { serviceOverview, simulatorView } from './dashboards-traffic.js';
import { businessGrowth, hostAndPostgres, runtimeAndDatabase } from './dashboards-platform.js';

export const DASHBOARDS: { file: string; spec: DashboardSpec }[] = [
  { file: 'service-overview.json', spec: serviceOverview },
  { file: 'simulator.json', spec: simulatorView },
  { file: 'business-growth.json', spec: businessGrowth },
  { file: 'runtime-and-database.json', spec: runtimeAndDatabase },
  { file: 'host-and-postgres.json', spec: hostAndPostgres },
];

/** The text a dashboard file must hold: Grafana's JSON as the repository's Prettier formats it (npm run lint). */
export async function dashboardFileText(spec: DashboardSpec, file: string): Promise<string> {
  // A development tool: loaded only here, so the CLI's other commands run where it is not installed (the image).
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(file)) ?? {};
  return format(JSON.stringify(dashboardJson(spec)), { ...options, filepath: file });
}
