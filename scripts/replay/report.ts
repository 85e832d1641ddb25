// The replay's verdict: a plain object (printed as JSON with --json) and its human-readable form.
import type { EndStateReport } from './end-state.js';
import type { ActionKind } from './scenario-file.js';
import type { ErrorSample, LatencySummary } from './stats.js';

export interface LatestCheck {
  /** Id of the highest-positioned line replayed. */
  expected: number;
  /** What `GET /latest` returned, or undefined when it could not be read. */
  actual: number | undefined;
  ok: boolean;
  /** Why `expected` is what the server must hold. */
  how: string;
  error?: string;
}

export interface ReplayReport {
  ok: boolean;
  url: string;
  settings: { concurrency: number; timeoutMs: number; giveUpMs: number; keepAlive: boolean };
  actions: { sent: number; byAction: Record<ActionKind, number>; firstId?: number; lastId?: number };
  durationSeconds: number;
  throughputPerSecond: number;
  /** Of answered requests, late replies included; requests given up on and connection errors have none. */
  latencyMs: LatencySummary;
  latencyByActionMs: Record<ActionKind, LatencySummary>;
  usernameTakenNotCounted: number;
  errors: {
    total: number;
    wrongStatus: { total: number; byAction: Record<string, Record<string, number>> };
    timeout: number;
    timeoutByAction: Record<ActionKind, number>;
    connection: number;
    /** The scenario's own failing actions (unknown users), which fail in any correct server too. */
    expectedFromScenario: number;
    samples: ErrorSample[];
  };
  latest: LatestCheck;
  endState: EndStateReport;
}

function formatWrongStatus(byAction: Record<string, Record<string, number>>): string[] {
  return Object.entries(byAction).map(([action, byStatus]) => {
    const statuses = Object.entries(byStatus).map(([status, count]) => `${status} x${count}`);
    return `      ${action}: ${statuses.join(', ')}`;
  });
}

const countsByAction = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');

export function formatReport(report: ReplayReport): string {
  const { actions, errors, latencyMs: l, latest, endState } = report;
  const byAction = countsByAction(actions.byAction);
  const lines = [
    `Replay against ${report.url} (concurrency ${report.settings.concurrency}, timeout ${report.settings.timeoutMs} ms, ` +
      `${report.settings.keepAlive ? 'keep-alive' : 'a new connection per request'})`,
    `  actions sent: ${actions.sent} (${byAction})` +
      (actions.firstId === undefined ? '' : `, ids ${actions.firstId}..${actions.lastId}`),
    `  duration: ${report.durationSeconds.toFixed(1)} s, throughput: ${report.throughputPerSecond.toFixed(1)} actions/s`,
    `  latency (answered requests, late ones too): p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms, mean ${l.mean} ms`,
    ...Object.entries(report.latencyByActionMs).map(
      ([kind, k]) => `    ${kind}: p50 ${k.p50} ms, p95 ${k.p95} ms, p99 ${k.p99} ms, max ${k.max} ms`,
    ),
    `  registers of a taken username (not errors, as for the simulator): ${report.usernameTakenNotCounted}`,
    `  errors: ${errors.total}`,
    `    wrong status: ${errors.wrongStatus.total}`,
    ...formatWrongStatus(errors.wrongStatus.byAction),
    `    timeout (no reply within ${report.settings.timeoutMs} ms): ${errors.timeout}` +
      (errors.timeout > 0 ? ` (${countsByAction(errors.timeoutByAction)})` : ''),
    `    connection error: ${errors.connection}`,
  ];
  if (errors.expectedFromScenario > 0) {
    lines.push(
      `    (${errors.expectedFromScenario} actions of the scenario name an unknown user: they fail anyway)`,
    );
  }
  if (errors.samples.length > 0) {
    lines.push('    first errors:');
    for (const s of errors.samples)
      lines.push(`      #${s.id} ${s.action} ${JSON.stringify(s.user)}: ${s.error}`);
  }
  lines.push(
    `  latest: ${latest.ok ? 'OK' : 'FAILED'}: expected ${latest.expected}, GET /latest says ${latest.actual ?? '?'}` +
      (latest.error ? ` (${latest.error})` : ''),
    `    (${latest.how})`,
    `  end state: ${endState.ok ? 'OK' : 'FAILED'}: ${endState.usersChecked} users checked, ` +
      `${endState.mismatchCount} mismatches`,
    `    (${endState.assumption})`,
  );
  for (const m of endState.mismatches) lines.push(`      ${JSON.stringify(m.user)}: ${m.problem}`);
  if (endState.mismatchCount > endState.mismatches.length) {
    lines.push(`      ... and ${endState.mismatchCount - endState.mismatches.length} more`);
  }
  lines.push(`  result: ${report.ok ? 'OK' : 'FAILED'}`);
  return lines.join('\n');
}
