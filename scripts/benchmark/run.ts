// One bench run: every read and write against ours and against its ceiling, then the scenario's replays
// (one at a time against ours and against the floor, then concurrently), all in one run so that the ratios
// compare figures taken minutes apart on the same machine.
import { cpus, loadavg } from 'node:os';
import type { ReplayReport } from '../replay/report.js';
import { startCeilings } from './ceilings.js';
import { startChildServer } from './children.js';
import { insertCeilingRequest, prepareEndpoints, type Endpoint, type Target } from './endpoints.js';
import { measureLoad, type LoadRequest, type LoadResult, type LoadSpec } from './load.js';
import { runPythonClient, type PythonReplay } from './python-client.js';
import { runReplay, type ScenarioSource } from './replays.js';

export interface BenchOptions {
  target: Target;
  /** A PostgreSQL server for the INSERT ceiling's scratch database; without it, PGlite. */
  ceilingServerUrl: string | undefined;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  scenario: ScenarioSource;
  concurrencies: number[];
  /** Also one action at a time through the Python client (needs a scenario file). */
  pythonClient: boolean;
  log: (line: string) => void;
}

interface Measurement {
  kind: 'read' | 'write';
  name: string;
  ours: LoadResult;
  ceiling: LoadResult;
  /** ours / ceiling, requests per second. */
  share: number;
  /** A read's reply body, in bytes (the ceiling returns the same bytes). */
  bodyBytes?: number;
}

interface ReplaySummary {
  target: 'ours' | 'floor';
  concurrency: number;
  actions: number;
  durationSeconds: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  /** Errors by kind: timeouts by action, wrong statuses by action and status, connection errors. */
  errorsByKind: {
    timeoutByAction: Record<string, number>;
    wrongStatusByAction: Record<string, Record<string, number>>;
    connection: number;
  };
  /** The first errors, as the replay describes them. */
  errorSamples: string[];
  latencyByActionMs: Record<string, { p50: number; p99: number; max: number }>;
  /** The replay's checks after the run (ours only): GET /latest, and each user's messages and follows. */
  checks?: { latestOk: boolean; endStateOk: boolean; endStateMismatches: number; firstMismatches: string[] };
  /** The replay's own verdict (errors, /latest, end state); not asked of the floor, which stores nothing. */
  ok: boolean | undefined;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    scenario: ScenarioSource;
    concurrencies: number[];
    loadTool: string;
  };
  machine: { cpus: number; node: string; loadBefore: number[]; loadAfter: number[] };
  target: { web: string; api: string; runId: string };
  insertCeiling: { into: string; result: LoadResult };
  measurements: Measurement[];
  replays: ReplaySummary[];
  /** One action at a time, a new connection each: ours / floor, in seconds for the whole scenario. */
  oneAtATime:
    | {
        oursSeconds: number;
        floorSeconds: number;
        ratio: number;
        /** What our server adds to each action, over the client's own time: independent of the client. */
        addedMsPerAction: number;
      }
    | undefined;
  /** The same through the Python client, as the course's simulator sends it (--python-client). */
  pythonOneAtATime:
    { ours: PythonReplay; floor: PythonReplay; ratio: number; addedMsPerAction: number } | undefined;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

function summariseReplay(target: 'ours' | 'floor', report: ReplayReport): ReplaySummary {
  return {
    target,
    concurrency: report.settings.concurrency,
    actions: report.actions.sent,
    durationSeconds: round(report.durationSeconds),
    throughputPerSecond: round(report.throughputPerSecond, 1),
    latencyMs: { p50: report.latencyMs.p50, p99: report.latencyMs.p99, max: report.latencyMs.max },
    errors: report.errors.total,
    errorsByKind: {
      timeoutByAction: report.errors.timeoutByAction,
      wrongStatusByAction: report.errors.wrongStatus.byAction,
      connection: report.errors.connection,
    },
    errorSamples: report.errors.samples.map(
      (e) => `#${e.id} ${e.action} ${JSON.stringify(e.user)}: ${e.error}`,
    ),
    latencyByActionMs: Object.fromEntries(
      Object.entries(report.latencyByActionMs).map(([kind, l]) => [
        kind,
        { p50: l.p50, p99: l.p99, max: l.max },
      ]),
    ),
    ...(target === 'ours'
      ? {
          checks: {
            latestOk: report.latest.ok,
            endStateOk: report.endState.ok,
            endStateMismatches: report.endState.mismatchCount,
            firstMismatches: report.endState.mismatches
              .slice(0, 5)
              .map((m) => `${JSON.stringify(m.user)}: ${m.problem}`),
          },
        }
      : {}),
    ok: target === 'ours' ? report.ok : undefined,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const { target, log } = options;
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const load = async (origin: string, requests: LoadRequest[], rest: Partial<LoadSpec> = {}) => {
    const spec: LoadSpec = {
      origin,
      requests,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      expectedStatus: 200,
      ...rest,
    };
    if (options.warmupSeconds > 0) await measureLoad({ ...spec, durationSeconds: options.warmupSeconds });
    return measureLoad(spec);
  };
  const measureEndpoint = (endpoint: Endpoint) =>
    load(endpoint.origin, endpoint.requests, {
      expectedStatus: endpoint.expectedStatus,
      ...(endpoint.perConnection ? { perConnection: endpoint.perConnection } : {}),
    });

  log(`preparing: users "bench ${target.runId} ...", a web session, a deep page, our replies captured`);
  const prepared = await prepareEndpoints(target, options.connections);
  const reads = prepared.endpoints.filter((endpoint) => endpoint.kind === 'read');
  const writes = prepared.endpoints.filter((endpoint) => endpoint.kind === 'write');
  const ceilings = await startCeilings({
    fixed: reads.map((endpoint) => endpoint.fixed!),
    serverUrl: options.ceilingServerUrl,
    connections: options.connections,
    runId: target.runId,
  });
  const measurements: Measurement[] = [];
  let insertCeiling: LoadResult;
  try {
    // Each figure right next to its ceiling, so that both see the machine in the same state.
    for (const [index, endpoint] of reads.entries()) {
      log(`read: ${endpoint.name}`);
      const ours = await measureEndpoint(endpoint);
      const ceiling = await load(ceilings.origin, [{ method: 'GET', path: `/fixed/${index}` }]);
      measurements.push({
        kind: 'read',
        name: endpoint.name,
        ours,
        ceiling,
        share: ours.requestsPerSecond / ceiling.requestsPerSecond,
        bodyBytes: Buffer.from(endpoint.fixed!.body, 'base64').length,
      });
    }
    log(`write ceiling: single-row INSERT (${ceilings.insertInto})`);
    insertCeiling = await load(ceilings.origin, [insertCeilingRequest], { expectedStatus: 204 });
    for (const endpoint of writes) {
      log(`write: ${endpoint.name}`);
      const ours = await measureEndpoint(endpoint);
      measurements.push({
        kind: 'write',
        name: endpoint.name,
        ours,
        ceiling: insertCeiling,
        share: ours.requestsPerSecond / insertCeiling.requestsPerSecond,
      });
    }
  } finally {
    await ceilings.stop();
  }

  const replays: ReplaySummary[] = [];
  let oneAtATime: BenchReport['oneAtATime'];
  let pythonOneAtATime: BenchReport['pythonOneAtATime'];
  const replayAt = async (url: string, concurrency: number, suffix: string) =>
    runReplay({ url, scenario: options.scenario, suffix, concurrency, authorization: target.authorization });
  if (options.concurrencies.includes(1)) {
    const floor = await startChildServer<object, { origin: string }>(
      new URL('./floor-server.js', import.meta.url),
      {},
      'the floor server',
    );
    try {
      log('replay: one action at a time against the floor (a server that does nothing)');
      replays.push(summariseReplay('floor', await replayAt(floor.ready.origin, 1, 'floor')));
      if (options.pythonClient && 'file' in options.scenario) {
        const file = options.scenario.file;
        log('replay: one action at a time through the Python client, against the floor');
        const floorRun = await runPythonClient(floor.ready.origin, file, 'floor');
        log('replay: one action at a time through the Python client, against ours');
        const oursRun = await runPythonClient(target.apiOrigin, file, `${target.runId}py`);
        pythonOneAtATime = {
          ours: oursRun,
          floor: floorRun,
          ratio: round(oursRun.seconds / floorRun.seconds),
          addedMsPerAction: round(((oursRun.seconds - floorRun.seconds) * 1000) / oursRun.actions),
        };
      }
    } finally {
      await floor.stop();
    }
  }
  for (const concurrency of options.concurrencies) {
    log(`replay: against ours at concurrency ${concurrency}`);
    const report = await replayAt(target.apiOrigin, concurrency, `${target.runId}c${concurrency}`);
    replays.push(summariseReplay('ours', report));
  }
  {
    const floorRun = replays.find((r) => r.target === 'floor');
    const oursOne = replays.find((r) => r.target === 'ours' && r.concurrency === 1);
    if (floorRun && oursOne) {
      oneAtATime = {
        oursSeconds: oursOne.durationSeconds,
        floorSeconds: floorRun.durationSeconds,
        ratio: round(oursOne.durationSeconds / floorRun.durationSeconds),
        addedMsPerAction: round(
          ((oursOne.durationSeconds - floorRun.durationSeconds) * 1000) / oursOne.actions,
        ),
      };
    }
  }

  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      scenario: options.scenario,
      concurrencies: options.concurrencies,
      loadTool: 'autocannon (its own process)',
    },
    machine: { cpus: cpus().length, node: process.version, loadBefore, loadAfter: loadavg() },
    target: { web: target.webOrigin, api: target.apiOrigin, runId: target.runId },
    insertCeiling: { into: ceilings.insertInto, result: insertCeiling },
    measurements,
    replays,
    oneAtATime,
    pythonOneAtATime,
  };
}
