// Compares the server's state with what the replayed scenario implies, user by user, through the API.
import { getJson, type HttpClient } from './http.js';
import type { ExpectedState } from './expected-state.js';
import { runWithDependencies } from './scheduler.js';

const END_STATE_ASSUMPTION =
  "assumes the database held none of the scenario's users before the replay " +
  '(replaying twice, or onto a used database, makes this check fail)';

/** The API's largest list (API_LIST_MAX's default); a user with more messages is compared on this many. */
const LIST_MAX = 1000;

interface UserMismatch {
  user: string;
  problem: string;
}

export interface EndStateReport {
  assumption: string;
  usersChecked: number;
  ok: boolean;
  mismatchCount: number;
  /** The first mismatches, enough to see what is wrong. */
  mismatches: UserMismatch[];
}

const SHOWN_MISMATCHES = 20;

function describeFollowDifference(expected: Set<string>, actual: string[]): string | undefined {
  const actualSet = new Set(actual);
  const missing = [...expected].filter((name) => !actualSet.has(name));
  const unexpected = actual.filter((name) => !expected.has(name));
  const duplicates = actual.length - actualSet.size;
  if (missing.length === 0 && unexpected.length === 0 && duplicates === 0) return undefined;
  const parts = [];
  if (missing.length > 0) parts.push(`missing ${JSON.stringify(missing)}`);
  if (unexpected.length > 0) parts.push(`unexpected ${JSON.stringify(unexpected)}`);
  if (duplicates > 0) parts.push(`${duplicates} listed twice`);
  return `follows: ${parts.join(', ')}`;
}

async function checkUser(
  client: HttpClient,
  user: string,
  expected: { messages: number; follows: Set<string> },
  timeoutMs: number,
): Promise<string[]> {
  const name = encodeURIComponent(user);
  const problems: string[] = [];
  const messages = await getJson(client, `/msgs/${name}?no=${LIST_MAX}`, timeoutMs);
  const expectedMessages = Math.min(expected.messages, LIST_MAX);
  if (!Array.isArray(messages)) problems.push('messages: the reply is not a list');
  else if (messages.length !== expectedMessages) {
    problems.push(`messages: expected ${expectedMessages}, found ${messages.length}`);
  }
  const follows = (await getJson(client, `/fllws/${name}?no=${LIST_MAX}`, timeoutMs)) as {
    follows?: unknown;
  };
  if (!Array.isArray(follows.follows)) problems.push('follows: the reply has no "follows" list');
  else {
    const difference = describeFollowDifference(expected.follows, follows.follows.map(String));
    if (difference) problems.push(difference);
  }
  return problems;
}

export async function checkEndState(
  client: HttpClient,
  expected: ExpectedState,
  options: { concurrency: number; timeoutMs: number },
): Promise<EndStateReport> {
  const users = [...expected.users.entries()];
  const mismatches: (UserMismatch & { position: number })[] = [];
  await runWithDependencies(
    users.map(() => []),
    options.concurrency,
    async (position) => {
      const [user, state] = users[position]!;
      try {
        const problems = await checkUser(client, user, state, options.timeoutMs);
        for (const problem of problems) mismatches.push({ position, user, problem });
      } catch (error) {
        mismatches.push({ position, user, problem: error instanceof Error ? error.message : String(error) });
      }
    },
  );
  return {
    assumption: END_STATE_ASSUMPTION,
    usersChecked: users.length,
    ok: mismatches.length === 0,
    mismatchCount: mismatches.length,
    // In registration order, whatever order the checks finished in.
    mismatches: mismatches
      .sort((a, b) => a.position - b.position)
      .slice(0, SHOWN_MISMATCHES)
      .map(({ user, problem }) => ({ user, problem })),
  };
}
