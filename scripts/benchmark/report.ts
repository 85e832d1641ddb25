// The bench's report as a person reads it: one table of every figure and its ratio.
import type { BenchReport } from './run.js';

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const percent = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width, column) => (column === 0 ? '-' : '') + '-'.repeat(width + 1) + (column === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
  ];
}

export function formatBenchReport(report: BenchReport): string {
  const { settings, machine } = report;
  const lines = [
    `MiniTwit bench, ${report.startedAt}: web ${report.target.web}, API ${report.target.api}`,
    `  ${settings.loadTool}, ${settings.connections} connections, ${settings.durationSeconds} s each` +
      (settings.warmupSeconds > 0 ? ` after a ${settings.warmupSeconds} s warm-up` : '') +
      `; ${machine.cpus} cores, load average ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ` +
      `${machine.loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
    `  reads: ceiling = bare Fastify returning the same bytes; writes: ceiling = single-row INSERT (${report.insertCeiling.into})`,
    '',
    ...table(
      [
        'endpoint',
        'ours req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'unexpected status',
        'ceiling req/s',
        'ceiling p99 ms',
        'ours / ceiling',
      ],
      report.measurements.map((m) => [
        m.name,
        integer(m.ours.requestsPerSecond),
        String(m.ours.p50),
        String(m.ours.p99),
        String(m.ours.errors),
        String(m.ours.unexpected),
        integer(m.ceiling.requestsPerSecond),
        String(m.ceiling.p99),
        percent(m.share),
      ]),
    ),
  ];
  if (report.replays.length > 0) {
    const scenario =
      'file' in settings.scenario
        ? settings.scenario.file
        : `generated, ${settings.scenario.generate.actions} actions, seed ${settings.scenario.generate.seed}`;
    lines.push(
      '',
      `Scenario replays (${scenario}; a new connection per request, 0.3 s timeout, each on users of its own):`,
      '',
      ...table(
        ['replay', 'actions', 'seconds', 'actions/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'checks'],
        report.replays.map((r) => [
          `${r.target === 'floor' ? 'floor (does nothing)' : 'ours'}, concurrency ${r.concurrency}`,
          integer(r.actions),
          r.durationSeconds.toFixed(1),
          integer(r.throughputPerSecond),
          String(r.latencyMs.p50),
          String(r.latencyMs.p99),
          String(r.latencyMs.max),
          String(r.errors),
          r.ok === undefined ? '-' : r.ok ? 'OK' : 'FAILED',
        ]),
      ),
    );
  }
  for (const replay of report.replays.filter((r) => r.errors > 0 || r.ok === false)) {
    const { timeoutByAction, wrongStatusByAction, connection } = replay.errorsByKind;
    const timeouts = Object.entries(timeoutByAction)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind} ${count}`);
    const statuses = Object.entries(wrongStatusByAction).map(
      ([kind, byStatus]) =>
        `${kind} ${Object.entries(byStatus)
          .map(([status, n]) => `${status} x${n}`)
          .join(', ')}`,
    );
    lines.push(
      '',
      `${replay.target}, concurrency ${replay.concurrency}: ${replay.errors} errors` +
        (timeouts.length ? `; over 0.3 s: ${timeouts.join(', ')}` : '') +
        (statuses.length ? `; wrong status: ${statuses.join('; ')}` : '') +
        (connection ? `; connection errors: ${connection}` : ''),
      ...replay.errorSamples.slice(0, 3).map((sample) => `    ${sample}`),
    );
    if (replay.checks && (!replay.checks.latestOk || !replay.checks.endStateOk)) {
      lines.push(
        `    checks: /latest ${replay.checks.latestOk ? 'OK' : 'FAILED'}, end state ${replay.checks.endStateOk ? 'OK' : `${replay.checks.endStateMismatches} mismatches`}`,
        ...replay.checks.firstMismatches.slice(0, 3).map((m) => `      ${m}`),
      );
    }
  }
  if (report.oneAtATime) {
    const { oursSeconds, floorSeconds, ratio, addedMsPerAction } = report.oneAtATime;
    lines.push(
      '',
      `One action at a time: ours ${oursSeconds.toFixed(1)} s / floor ${floorSeconds.toFixed(1)} s = ${ratio.toFixed(2)} ` +
        `(goal: at most 1.25); our server adds ${addedMsPerAction.toFixed(2)} ms to each action`,
    );
  }
  if (report.pythonOneAtATime) {
    const { ours, floor, ratio, addedMsPerAction } = report.pythonOneAtATime;
    const errors = Object.entries(ours.errors).map(([kind, count]) => `${kind} ${count}`);
    lines.push(
      `Through the Python client (as the course's simulator): ours ${ours.seconds.toFixed(1)} s / floor ` +
        `${floor.seconds.toFixed(1)} s = ${ratio.toFixed(2)} (goal: at most 1.25); ours adds ` +
        `${addedMsPerAction.toFixed(2)} ms to each action; errors: ${errors.length ? errors.join(', ') : '0'}`,
    );
  }
  return lines.join('\n');
}
