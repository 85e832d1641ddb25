// The writes a replay sent, one JSON line each, for checking afterwards that the database kept them
// (npm run check-acknowledged). A write is `acknowledged` when the server answered it with a 2xx (late or
// not: the server said it was done). A write that got no answer, a 5xx or a connection error is logged too,
// as not acknowledged: it may or may not have happened, so it is what makes a later state uncertain (an
// unfollow that was perhaps applied after an acknowledged follow). A 4xx is a refusal: nothing changed.
import type { HttpOutcome } from './http.js';
import type { ScenarioAction } from './scenario-file.js';

export type WriteRecord =
  | WriteBase<'register'>
  | (WriteBase<'tweet'> & { text: string })
  | (WriteBase<'follow' | 'unfollow'> & { target: string });

interface WriteBase<K extends ScenarioAction['kind']> {
  /** The scenario's action id. */
  id: number;
  kind: K;
  user: string;
  acknowledged: boolean;
  /** The reply's status; absent when there was none (timeout, connection error). */
  status?: number;
}

/** The line to log for an action's outcome, or undefined when the server refused it (a 4xx: no change). */
export function writeRecord(action: ScenarioAction, outcome: HttpOutcome): WriteRecord | undefined {
  const status = outcome.kind === 'response' ? outcome.status : undefined;
  if (status !== undefined && status >= 400 && status < 500) return undefined;
  const acknowledged = status !== undefined && status >= 200 && status < 300;
  const base = {
    id: action.id,
    user: action.user,
    acknowledged,
    ...(status === undefined ? {} : { status }),
  };
  switch (action.kind) {
    case 'register':
      return { ...base, kind: action.kind };
    case 'tweet':
      return { ...base, kind: action.kind, text: action.text };
    case 'follow':
    case 'unfollow':
      return { ...base, kind: action.kind, target: action.other };
  }
}

export class WriteLogFormatError extends Error {
  override name = 'WriteLogFormatError';
}

const KINDS = new Set(['register', 'tweet', 'follow', 'unfollow']);

/** Parses a log, in the order written (for one user, the order the writes were sent and answered). */
export function parseWriteLog(text: string): WriteRecord[] {
  const records: WriteRecord[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let record: Partial<Record<string, unknown>>;
    try {
      record = JSON.parse(line) as Partial<Record<string, unknown>>;
    } catch {
      throw new WriteLogFormatError(`line ${index + 1}: not JSON`);
    }
    const { id, kind, user, acknowledged, text: message, target } = record;
    const valid =
      typeof id === 'number' &&
      typeof kind === 'string' &&
      KINDS.has(kind) &&
      typeof user === 'string' &&
      typeof acknowledged === 'boolean' &&
      (kind !== 'tweet' || typeof message === 'string') &&
      ((kind !== 'follow' && kind !== 'unfollow') || typeof target === 'string');
    if (!valid) throw new WriteLogFormatError(`line ${index + 1}: not a write record: ${line.slice(0, 200)}`);
    records.push(record as unknown as WriteRecord);
  });
  return records;
}

type FollowState = 'present' | 'absent' | 'uncertain';

/** What the database must hold, given the writes in the order they were answered. */
export interface DurableState {
  /** Every user an acknowledged write names (registered, or found by the server as actor or target). */
  users: Set<string>;
  /** user -> text -> how many acknowledged tweets of that text */
  messages: Map<string, Map<string, number>>;
  /** Pairs whose last acknowledged write decides: present after a follow, absent after an unfollow. */
  follows: { user: string; target: string; present: boolean }[];
  /** Pairs where a later write of unknown outcome (not acknowledged) may have changed that. */
  uncertainFollows: number;
}

/**
 * Follows are checked in their final state: per pair, the last acknowledged write (a follow or an
 * unfollow) holds, unless a later write on the pair of the other kind went unanswered. The replay keeps a
 * user's writes in order, so the log's order is the order the server applied them.
 */
export function durableState(records: readonly WriteRecord[]): DurableState {
  const users = new Set<string>();
  const messages = new Map<string, Map<string, number>>();
  const pairs = new Map<string, { user: string; target: string; state?: FollowState }>();
  for (const record of records) {
    if (record.kind === 'follow' || record.kind === 'unfollow') {
      const key = JSON.stringify([record.user, record.target]);
      const pair = pairs.get(key) ?? { user: record.user, target: record.target };
      pairs.set(key, pair);
      const after: FollowState = record.kind === 'follow' ? 'present' : 'absent';
      if (record.acknowledged) pair.state = after;
      else if (pair.state !== undefined && pair.state !== after) pair.state = 'uncertain';
    }
    if (!record.acknowledged) continue;
    users.add(record.user);
    if (record.kind === 'follow' || record.kind === 'unfollow') users.add(record.target);
    if (record.kind === 'tweet') {
      const texts = messages.get(record.user) ?? new Map<string, number>();
      texts.set(record.text, (texts.get(record.text) ?? 0) + 1);
      messages.set(record.user, texts);
    }
  }
  const decided = [...pairs.values()].filter((pair) => pair.state !== undefined);
  return {
    users,
    messages,
    follows: decided
      .filter((pair) => pair.state !== 'uncertain')
      .map(({ user, target, state }) => ({ user, target, present: state === 'present' })),
    uncertainFollows: decided.filter((pair) => pair.state === 'uncertain').length,
  };
}
