// Tallies the replay's results as they come, for the progress line and the final report.
import { percentile } from '../lib/stats.js';
import type { ActionKind, ScenarioAction } from './scenario-file.js';
import type { ActionResult } from './simulator-requests.js';

export interface ErrorSample {
  id: number;
  action: ActionKind;
  user: string;
  error: string;
}

/** An error with when its request was sent and when it ended (epoch ms): what a drill needs to tell which
 * errors a fault it caused at a known time could explain. */
export interface TimedError extends ErrorSample {
  sentAtMs: number;
  endedAtMs: number;
}

/** What went wrong, in a few words, or undefined when nothing did. */
export function describeResult(result: ActionResult): string | undefined {
  switch (result.kind) {
    case 'ok':
    case 'username-taken':
      return undefined;
    case 'wrong-status':
      return `status ${result.status}: ${result.errorMessage}`;
    case 'timeout':
      return result.late
        ? `timeout: answered ${result.late.status} after ${Math.round(result.late.latencyMs)} ms`
        : 'timeout: no reply';
    case 'connection':
      return `connection: ${result.message}`;
  }
}

const SAMPLES_KEPT = 10;

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function summariseLatencies(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? 0 : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? 0),
    mean: round(mean),
  };
}

export class ReplayStats {
  done = 0;
  sentByAction: Record<ActionKind, number> = { register: 0, tweet: 0, follow: 0, unfollow: 0 };
  usernameTaken = 0;
  /** action -> status -> count */
  wrongStatus: Record<string, Record<string, number>> = {};
  wrongStatusTotal = 0;
  timeouts = 0;
  timeoutsByAction: Record<ActionKind, number> = { register: 0, tweet: 0, follow: 0, unfollow: 0 };
  connectionErrors = 0;
  /** Latencies of answered requests, late ones included (given-up ones and connection errors have none). */
  readonly latencies: number[] = [];
  readonly latenciesByAction: Record<ActionKind, number[]> = {
    register: [],
    tweet: [],
    follow: [],
    unfollow: [],
  };
  readonly samples: ErrorSample[] = [];

  get errors(): number {
    return this.wrongStatusTotal + this.timeouts + this.connectionErrors;
  }

  record(action: ScenarioAction, result: ActionResult): void {
    this.done++;
    this.sentByAction[action.kind]++;
    const latencyMs =
      'latencyMs' in result
        ? result.latencyMs
        : result.kind === 'timeout'
          ? result.late?.latencyMs
          : undefined;
    if (latencyMs !== undefined) {
      this.latencies.push(latencyMs);
      this.latenciesByAction[action.kind].push(latencyMs);
    }
    switch (result.kind) {
      case 'ok':
        return;
      case 'username-taken':
        this.usernameTaken++;
        return;
      case 'wrong-status': {
        const byStatus = (this.wrongStatus[action.kind] ??= {});
        byStatus[result.status] = (byStatus[result.status] ?? 0) + 1;
        this.wrongStatusTotal++;
        this.sample(action, result);
        return;
      }
      case 'timeout':
        this.timeouts++;
        this.timeoutsByAction[action.kind]++;
        this.sample(action, result);
        return;
      case 'connection':
        this.connectionErrors++;
        this.sample(action, result);
        return;
    }
  }

  private sample(action: ScenarioAction, result: ActionResult): void {
    const error = describeResult(result);
    if (error !== undefined && this.samples.length < SAMPLES_KEPT) {
      this.samples.push({ id: action.id, action: action.kind, user: action.user, error });
    }
  }
}
