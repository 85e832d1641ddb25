// The line printed every second while the replay runs.
import type { ReplayStats } from './stats.js';

export function formatProgress(stats: ReplayStats, total: number, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? stats.done / elapsedSeconds : 0;
  const percent = total > 0 ? ((100 * stats.done) / total).toFixed(1) : '100.0';
  return (
    `replay: ${stats.done}/${total} (${percent}%), ${stats.errors} errors ` +
    `(${stats.wrongStatusTotal} status, ${stats.timeouts} timeout, ${stats.connectionErrors} connection), ` +
    `${rate.toFixed(0)} actions/s, ${elapsedSeconds.toFixed(1)} s`
  );
}
