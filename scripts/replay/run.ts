// One replay: the scenario's actions sent as the simulator sends them, then /latest and the end state checked.
import { performance } from 'node:perf_hooks';
import { writeRecord, type WriteRecord } from './acknowledged.js';
import { checkEndState } from './end-state.js';
import { expectedEndState } from './expected-state.js';
import { createHttpClient, getJson, type HttpClient } from './http.js';
import type { LatestCheck, ReplayReport } from './report.js';
import type { ScenarioAction } from './scenario-file.js';
import { actionDependencies, runWithDependencies, withLastActionLast } from './scheduler.js';
import { judgeOutcome, simulatorRequest } from './simulator-requests.js';
import { describeResult, ReplayStats, summariseLatencies, type TimedError } from './stats.js';

export interface ReplayOptions {
  url: string;
  actions: readonly ScenarioAction[];
  concurrency: number;
  /** A reply slower than this is a timeout error, as past the simulator's 0.3 s. */
  timeoutMs: number;
  /**
   * How long the replay still waits for a late reply before giving up (default 10 s). Waiting keeps the
   * user's next action behind it, so one slow reply is one timeout, not a cascade of 404s.
   */
  giveUpMs?: number;
  keepAlive: boolean;
  /** At most this many actions started per second (default: as fast as allowed). */
  ratePerSecond?: number;
  authorization: string;
  /** For the checks after the replay, which are not held to the simulator's timeout. */
  checkTimeoutMs?: number;
  /** Called for each write sent that may have changed something (see acknowledged.ts), as it is answered. */
  onWrite?: (record: WriteRecord) => void;
  /** Called for each error (wrong status, timeout, connection error) as its request ends. */
  onError?: (error: TimedError) => void;
  /** Called about every `progressIntervalMs` while actions are sent. */
  onProgress?: (stats: ReplayStats, elapsedSeconds: number) => void;
  progressIntervalMs?: number;
}

const LATEST_HOW =
  'the last line is sent only after every other action completed, so it is the last one the server records';

async function checkLatest(client: HttpClient, expected: number, timeoutMs: number): Promise<LatestCheck> {
  try {
    const reply = (await getJson(client, '/latest', timeoutMs)) as { latest?: unknown };
    const actual = typeof reply.latest === 'number' ? reply.latest : undefined;
    return { expected, actual, ok: actual === expected, how: LATEST_HOW };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { expected, actual: undefined, ok: false, how: LATEST_HOW, error: message };
  }
}

const DEFAULT_GIVE_UP_MS = 10_000;

async function sendAll(
  client: HttpClient,
  options: ReplayOptions,
  giveUpMs: number,
  stats: ReplayStats,
): Promise<number> {
  const { actions } = options;
  const dependencies = withLastActionLast(actionDependencies(actions));
  const started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;
  // The n-th action starts no earlier than n / rate seconds after the first.
  let paced = 0;
  const pace = async () => {
    if (!options.ratePerSecond) return;
    const wait = started + (paced++ * 1000) / options.ratePerSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
  const ticker = options.onProgress
    ? setInterval(() => options.onProgress?.(stats, elapsedSeconds()), options.progressIntervalMs ?? 1000)
    : undefined;
  try {
    await runWithDependencies(dependencies, options.concurrency, async (position) => {
      const action = actions[position]!;
      await pace();
      const sentAtMs = Date.now();
      const outcome = await client.send(simulatorRequest(action, giveUpMs));
      const result = judgeOutcome(action.kind, outcome, options.timeoutMs);
      stats.record(action, result);
      const error = options.onError && describeResult(result);
      if (error !== undefined) {
        options.onError?.({
          id: action.id,
          action: action.kind,
          user: action.user,
          error,
          sentAtMs,
          endedAtMs: Date.now(),
        });
      }
      const record = options.onWrite && writeRecord(action, outcome);
      if (record) options.onWrite?.(record);
    });
  } finally {
    clearInterval(ticker);
  }
  options.onProgress?.(stats, elapsedSeconds());
  return elapsedSeconds();
}

/** The API could not be reached before the replay started: nothing was sent. */
export class UnreachableApiError extends Error {
  override name = 'UnreachableApiError';
}

export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  const { actions } = options;
  const checkTimeoutMs = options.checkTimeoutMs ?? 10_000;
  const giveUpMs = Math.max(options.timeoutMs, options.giveUpMs ?? DEFAULT_GIVE_UP_MS);
  const client = createHttpClient({
    baseUrl: new URL(options.url),
    authorization: options.authorization,
    keepAlive: options.keepAlive,
    maxSockets: options.concurrency,
  });
  try {
    // Fail fast with one clear message rather than one connection error per action.
    await getJson(client, '/latest', checkTimeoutMs).catch((error: unknown) => {
      throw new UnreachableApiError(error instanceof Error ? error.message : String(error));
    });
    const stats = new ReplayStats();
    const durationSeconds = await sendAll(client, options, giveUpMs, stats);
    const expected = expectedEndState(actions);
    const lastId = actions.at(-1)?.id ?? -1;
    const latest = await checkLatest(client, lastId, checkTimeoutMs);
    const endState = await checkEndState(client, expected, {
      concurrency: options.concurrency,
      timeoutMs: checkTimeoutMs,
    });
    const errors = stats.errors;
    return {
      ok: errors === 0 && latest.ok && endState.ok,
      url: options.url,
      settings: {
        concurrency: options.concurrency,
        timeoutMs: options.timeoutMs,
        giveUpMs,
        keepAlive: options.keepAlive,
      },
      actions: {
        sent: stats.done,
        byAction: stats.sentByAction,
        ...(actions.length > 0 ? { firstId: actions[0]!.id, lastId } : {}),
      },
      durationSeconds,
      throughputPerSecond: durationSeconds > 0 ? stats.done / durationSeconds : 0,
      latencyMs: summariseLatencies(stats.latencies),
      latencyByActionMs: {
        register: summariseLatencies(stats.latenciesByAction.register),
        tweet: summariseLatencies(stats.latenciesByAction.tweet),
        follow: summariseLatencies(stats.latenciesByAction.follow),
        unfollow: summariseLatencies(stats.latenciesByAction.unfollow),
      },
      usernameTakenNotCounted: stats.usernameTaken,
      errors: {
        total: errors,
        wrongStatus: { total: stats.wrongStatusTotal, byAction: stats.wrongStatus },
        timeout: stats.timeouts,
        timeoutByAction: stats.timeoutsByAction,
        connection: stats.connectionErrors,
        expectedFromScenario: expected.failingActions,
        samples: stats.samples,
      },
      latest,
      endState,
    };
  } finally {
    client.close();
  }
}
