// Reads a V8 CPU profile (node --cpu-prof) and tells where the time went: the functions with the most
// self time, the same grouped by where the code comes from (ours, a package, Node itself, the garbage
// collector), and a flame graph as SVG (hand-drawn from the profile's call tree: no tool of Debian's or
// npm's makes one offline from a .cpuprofile without a browser).

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  samples: number;
  /** Of the busy samples (not idle). */
  share: number;
}

export interface ProfileSummary {
  seconds: number;
  samples: number;
  idleShare: number;
  topFunctions: Share[];
  byOrigin: Share[];
}

const IDLE = '(idle)';

/** `node_modules/fastify/lib/reply.js` → the package; our files relative to the project; Node's as is. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const ours = /\/dist\/(.*)$/.exec(url);
  if (ours) return ours[1]!;
  return url.replace(/^file:\/\//, '');
}

export function originOf(frame: CallFrame): string {
  if (frame.url === '')
    return frame.functionName.startsWith('(') ? frame.functionName : '(native V8 builtins)';
  if (frame.url.startsWith('node:')) return 'Node.js internals';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (modules) return `package ${modules[1]}`;
  if (frame.url.includes('/dist/src/')) return 'MiniTwit (src/)';
  return 'other';
}

const functionKey = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'}${frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`;

function tally(entries: Map<string, number>, busy: number, top: number): Share[] {
  return [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, samples]) => ({ name, samples, share: samples / busy }));
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfSamples = new Map<number, number>();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const functions = new Map<string, number>();
  const origins = new Map<string, number>();
  let idle = 0;
  for (const [id, count] of selfSamples) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === IDLE) {
      idle += count;
      continue;
    }
    const key = functionKey(frame);
    functions.set(key, (functions.get(key) ?? 0) + count);
    const origin = originOf(frame);
    origins.set(origin, (origins.get(origin) ?? 0) + count);
  }
  const busy = Math.max(1, profile.samples.length - idle);
  return {
    seconds: (profile.endTime - profile.startTime) / 1e6,
    samples: profile.samples.length,
    idleShare: idle / Math.max(1, profile.samples.length),
    topFunctions: tally(functions, busy, top),
    byOrigin: tally(origins, busy, 100),
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  return [
    `${summary.seconds.toFixed(1)} s profiled, ${summary.samples} samples, idle ${pct(summary.idleShare).trim()}; shares below are of the busy samples`,
    '',
    'Self time by origin:',
    ...summary.byOrigin.map((s) => `  ${pct(s.share)}  ${s.name}`),
    '',
    'Functions with the most self time:',
    ...summary.topFunctions.map((s) => `  ${pct(s.share)}  ${s.name}`),
  ].join('\n');
}

interface FlameNode {
  name: string;
  origin: string;
  total: number;
  children: FlameNode[];
}

function flameTree(profile: CpuProfile): FlameNode {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfSamples = new Map<number, number>();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const build = (node: ProfileNode): FlameNode => {
    const children = (node.children ?? [])
      .map((id) => byId.get(id)!)
      .filter((child) => child.callFrame.functionName !== IDLE)
      .map(build)
      .filter((child) => child.total > 0);
    const total = (selfSamples.get(node.id) ?? 0) + children.reduce((sum, child) => sum + child.total, 0);
    return {
      name: functionKey(node.callFrame),
      origin: originOf(node.callFrame),
      total,
      children: children.sort((a, b) => a.name.localeCompare(b.name)),
    };
  };
  const root = build(profile.nodes[0]!);
  return { ...root, name: 'all (busy samples)' };
}

const COLOURS: Record<string, string> = {
  'MiniTwit (src/)': '#e8a33d',
  'Node.js internals': '#7fb3d5',
  '(garbage collector)': '#c0392b',
  '(program)': '#bbbbbb',
  '(native: V8 builtins, Node bindings)': '#a9cce3',
  'WebAssembly (PGlite)': '#48c9b0',
};
const colourOf = (origin: string) =>
  COLOURS[origin] ?? (origin.startsWith('package ') ? '#82c785' : '#d7bde2');

const escapeXml = (text: string) =>
  text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** An icicle-style flame graph (callers above callees), one rectangle per call path, width ∝ samples. */
export function flameGraphSvg(profile: CpuProfile, title: string): string {
  const root = flameTree(profile);
  const width = 1200;
  const rowHeight = 16;
  const top = 40;
  const rects: string[] = [];
  let depthReached = 0;
  const draw = (node: FlameNode, x: number, depth: number) => {
    const w = (node.total / root.total) * width;
    if (w < 0.4) return;
    depthReached = Math.max(depthReached, depth);
    const y = top + depth * rowHeight;
    const share = ((100 * node.total) / root.total).toFixed(1);
    const label = w > 50 ? escapeXml(node.name.slice(0, Math.floor(w / 6.5))) : '';
    rects.push(
      `<g><title>${escapeXml(node.name)} (${share}%, ${escapeXml(node.origin)})</title>` +
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 1}" fill="${colourOf(node.origin)}"/>` +
        (label ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11}">${label}</text>` : '') +
        '</g>',
    );
    let childX = x;
    for (const child of node.children) {
      draw(child, childX, depth + 1);
      childX += (child.total / root.total) * width;
    }
  };
  draw(root, 0, 0);
  const legend = Object.entries({ ...COLOURS, 'a package (node_modules)': '#82c785' })
    .map(
      ([name, colour], i) =>
        `<rect x="${10 + i * 190}" y="22" width="10" height="10" fill="${colour}"/><text x="${24 + i * 190}" y="31">${escapeXml(name)}</text>`,
    )
    .join('');
  const height = top + (depthReached + 1) * rowHeight + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="10">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="14" font-size="12" font-weight="bold">${escapeXml(title)}</text>
${legend}
${rects.join('\n')}
</svg>
`;
}
