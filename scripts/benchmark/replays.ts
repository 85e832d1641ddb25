// The scenario's replays, through the replay tool's own `replay()` (scripts/replay), each in a process of
// its own at a lower priority than the server it measures (they share two cores, as in CI).
// The replay's end-state check assumes users it has not seen before: every run renames the scenario's
// users with a suffix of its own, so each replay owns its data, on any database, however often it runs.
import { readFile } from 'node:fs/promises';
import type { ReplayReport } from '../replay/report.js';
import { parseScenario, type ScenarioAction } from '../replay/scenario-file.js';
import { generateScenario } from '../scenario/generate.js';
import { runInChild } from './children.js';

export type ScenarioSource = { file: string } | { generate: { actions: number; seed: string } };

export interface ReplaySpec {
  url: string;
  scenario: ScenarioSource;
  /** Appended to every user name, so that the run's users are new to the database. */
  suffix: string;
  concurrency: number;
  authorization: string;
}

const REPLAY_NICENESS = 10;

export async function loadScenario(source: ScenarioSource): Promise<ScenarioAction[]> {
  if ('file' in source) return parseScenario(await readFile(source.file, 'utf8'));
  return generateScenario(source.generate);
}

/** The same scenario, with every user renamed `<name> <suffix>`. */
export function withUserSuffix(actions: readonly ScenarioAction[], suffix: string): ScenarioAction[] {
  const rename = (user: string) => `${user} ${suffix}`;
  return actions.map((action) =>
    action.kind === 'follow' || action.kind === 'unfollow'
      ? { ...action, user: rename(action.user), other: rename(action.other) }
      : { ...action, user: rename(action.user) },
  );
}

/** One replay as the simulator sends it: a new connection per request, 0.3 s timeout. */
export function runReplay(spec: ReplaySpec): Promise<ReplayReport> {
  return runInChild<ReplaySpec, ReplayReport>(
    new URL('./replay-process.js', import.meta.url),
    spec,
    `replay against ${spec.url} at concurrency ${spec.concurrency}`,
    { nice: REPLAY_NICENESS },
  );
}
