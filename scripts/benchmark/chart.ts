// The bench's chart, as a hand-written SVG: every figure as a share of its ceiling (reads of the bare
// framework's, writes of the INSERT's, the one-at-a-time replay of the floor's speed), with each goal.
import type { BenchReport } from './run.js';

interface Bar {
  label: string;
  share: number;
  goal: number;
  detail: string;
  group: string;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const integer = (value: number) => Math.round(value).toLocaleString('en-US');

function barsOf(report: BenchReport): Bar[] {
  const bars: Bar[] = report.measurements.map((m) => ({
    label: m.name,
    share: m.share,
    goal: 0.5,
    detail: `${integer(m.ours.requestsPerSecond)} of ${integer(m.ceiling.requestsPerSecond)} req/s`,
    group:
      m.kind === 'read'
        ? 'Reads: share of bare Fastify with our bytes'
        : 'Writes: share of a single-row INSERT',
  }));
  if (report.oneAtATime) {
    const { oursSeconds, floorSeconds } = report.oneAtATime;
    bars.push({
      label: 'scenario, one action at a time',
      share: floorSeconds / oursSeconds,
      goal: 0.8,
      detail: `floor ${floorSeconds.toFixed(1)} s / ours ${oursSeconds.toFixed(1)} s`,
      group: "Replay: the floor's time as a share of ours (goal 1.25x = 80%)",
    });
  }
  return bars;
}

export function benchChart(report: BenchReport): string {
  const bars = barsOf(report);
  const left = 300;
  const barWidth = 420;
  const width = left + barWidth + 230;
  const rowHeight = 24;
  const groupHeight = 26;
  const x = (share: number) => left + Math.min(1, Math.max(0, share)) * barWidth;
  const parts: string[] = [];
  let y = 56;
  let group = '';
  for (const bar of bars) {
    if (bar.group !== group) {
      group = bar.group;
      y += 8;
      parts.push(`<text x="12" y="${y + 14}" class="group">${escapeXml(group)}</text>`);
      y += groupHeight;
    }
    const reached = bar.share >= bar.goal;
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${left}" y="${y + 3}" width="${barWidth}" height="${rowHeight - 8}" class="track"/>`,
      `<rect x="${left}" y="${y + 3}" width="${(x(bar.share) - left).toFixed(1)}" height="${rowHeight - 8}" class="${reached ? 'reached' : 'bar'}"/>`,
      `<line x1="${x(bar.goal)}" x2="${x(bar.goal)}" y1="${y}" y2="${y + rowHeight - 2}" class="goal"/>`,
      `<text x="${left + barWidth + 8}" y="${y + 15}">${(bar.share * 100).toFixed(bar.share < 0.1 ? 1 : 0)}%  <tspan class="detail">${escapeXml(bar.detail)}</tspan></text>`,
    );
    y += rowHeight;
  }
  const height = y + 40;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (share) =>
      `<line x1="${x(share)}" x2="${x(share)}" y1="60" y2="${y}" class="tick"/>` +
      `<text x="${x(share)}" y="${y + 16}" text-anchor="middle" class="detail">${share * 100}%</text>`,
  );
  const title = `MiniTwit bench, ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC: ours as a share of each ceiling`;
  const subtitle = `${report.settings.connections} connections, ${report.settings.durationSeconds} s each, autocannon; INSERT ceiling: ${report.insertCeiling.into}; dashed line: the goal`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<style>
  text { fill: #222; } .group { font-weight: bold; } .detail { fill: #666; font-size: 11px; }
  .track { fill: #eee; } .bar { fill: #d9822b; } .reached { fill: #3b8e4f; }
  .goal { stroke: #000; stroke-dasharray: 3 2; } .tick { stroke: #ddd; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>
<text x="12" y="40" class="detail">${escapeXml(subtitle)}</text>
${ticks.join('\n')}
${parts.join('\n')}
</svg>
`;
}
