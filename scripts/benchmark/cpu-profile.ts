// Reads a V8 CPU profile (node --cpu-prof) and tells where the time went: the functions with the most
// self time, and the same grouped by where the code comes from (ours, a package, Node itself, the garbage
// collector). For the flame graph, open the .cpuprofile itself in speedscope (https://www.speedscope.app)
// or Chrome's DevTools (Performance).

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
