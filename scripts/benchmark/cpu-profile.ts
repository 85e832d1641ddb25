// Reads a V8 CPU profile (node --cpu-prof) and tells where the time went: the functions with the most
// self time, the same grouped by where the code comes from (ours, a package, Node itself, the garbage
// collector), and a flame graph as SVG, drawn from the profile's call tree, for the docs (Debian packages no
// flame-graph tool, and npm's, like 0x, make interactive HTML pages).

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

interface Share {
  name: string;
  samples: number;
  /** Of the busy samples (not idle). */
  share: number;
}

interface ProfileSummary {
  seconds: number;
  samples: number;
  idleShare: number;
  topFunctions: Share[];
  byOrigin: Share[];
  /** Native and Node.js-internal time charged to the nearest package or MiniTwit frame that called it. */
  byCaller: Share[];
}

/** Whether a frame's origin is code someone chose to run (ours or a package), not the runtime's. */
const isCodeOrigin = (origin: string) => origin === 'MiniTwit (src/)' || origin.startsWith('package ');

const IDLE = '(idle)';

/** `node_modules/fastify/lib/reply.js` → the package; our files relative to the project; Node's as is. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const ours = /\/dist\/(.*)$/.exec(url);
  if (ours) return ours[1]!;
  return url.replace(/^file:\/\//, '');
}

function originOf(frame: CallFrame): string {
  if (frame.url === '')
    return frame.functionName.startsWith('(') ? frame.functionName : '(native: V8 builtins, Node bindings)';
  if (frame.url.startsWith('node:')) return 'Node.js internals';
  if (frame.url.startsWith('wasm://')) return 'WebAssembly (PGlite)';
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
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const callerOrigin = (id: number): string => {
    const own = originOf(byId.get(id)!.callFrame);
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const origin = originOf(byId.get(at)!.callFrame);
      if (isCodeOrigin(origin)) return origin;
    }
    return own;
  };
  const functions = new Map<string, number>();
  const origins = new Map<string, number>();
  const callers = new Map<string, number>();
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
    const caller = callerOrigin(id);
    callers.set(caller, (callers.get(caller) ?? 0) + count);
  }
  const busy = Math.max(1, profile.samples.length - idle);
  return {
    seconds: (profile.endTime - profile.startTime) / 1e6,
    samples: profile.samples.length,
    idleShare: idle / Math.max(1, profile.samples.length),
    topFunctions: tally(functions, busy, top),
    byOrigin: tally(origins, busy, 100),
    byCaller: tally(callers, busy, 100),
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  return [
    `${summary.seconds.toFixed(1)} s profiled, ${summary.samples} samples, idle ${pct(summary.idleShare).trim()}; shares below are of the busy samples`,
    '',
    'Self time by origin (shares of 0.5% or more):',
    ...summary.byOrigin.filter((s) => s.share >= 0.005).map((s) => `  ${pct(s.share)}  ${s.name}`),
    '',
    'The same, with native and Node.js-internal time charged to the package or MiniTwit code that called it:',
    ...summary.byCaller.filter((s) => s.share >= 0.005).map((s) => `  ${pct(s.share)}  ${s.name}`),
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
    if (w < 1) return;
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
  let legendX = 10;
  const legend = Object.entries({ ...COLOURS, 'a package (node_modules)': '#82c785' })
    .map(([name, colour]) => {
      const item = `<rect x="${legendX}" y="22" width="10" height="10" fill="${colour}"/><text x="${legendX + 14}" y="31">${escapeXml(name)}</text>`;
      legendX += 14 + name.length * 6.2 + 16;
      return item;
    })
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
