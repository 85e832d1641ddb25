// minitwit check-acknowledged --file FILE: is every write a replay saw acknowledged in the database?
// Reads the log `minitwit replay --acknowledged FILE` wrote and checks it against the configured
// database: after a fault (a replica killed, a link cut, a failover) no acknowledged write may be lost.
import { readFile } from 'node:fs/promises';
import { followsPresent } from '../../src/data/follows.js';
import { countMessagesWithText } from '../../src/data/messages.js';
import { findUserIdsByNames } from '../../src/data/users.js';
import type { Queryable } from '../../src/db/index.js';
import { defineCommand, UsageError, withDatabase } from '../lib/command.js';
import {
  durableState,
  parseWriteLog,
  WriteLogFormatError,
  type DurableState,
} from '../replay/acknowledged.js';

const USAGE = `Usage: minitwit check-acknowledged --file FILE

Checks that every write a replay saw acknowledged (minitwit replay --acknowledged FILE) is in the
database the app is configured with (DATABASE_URL, else the embedded one in DATA_DIR):
  - every user an acknowledged write names exists;
  - every acknowledged tweet is there, by its user, with its exact text (as many as were acknowledged);
  - follows in their final state: per pair, a follow is there after an acknowledged follow and gone after
    an acknowledged unfollow, unless a later write on the pair got no answer (then either state is right).

  --file FILE   the log written by the replay
  --help        this text

Exit status: 0 when everything acknowledged is there, 1 when something is missing (listed), 2 when the
log cannot be read or the database not opened.`;

const BATCH = 1000;
const SHOWN_PROBLEMS = 20;

async function inBatches<T, R>(items: T[], check: (batch: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    results.push(...(await check(items.slice(start, start + BATCH))));
  }
  return results;
}

interface CheckResult {
  checked: { users: number; messages: number; follows: number };
  problems: string[];
}

async function checkDurable(db: Queryable, expected: DurableState): Promise<CheckResult> {
  const problems: string[] = [];
  const names = [...expected.users];
  const ids = new Map<string, number>();
  for (let start = 0; start < names.length; start += BATCH) {
    const found = await findUserIdsByNames(db, names.slice(start, start + BATCH));
    found.forEach((id, name) => ids.set(name, id));
  }
  for (const name of names) if (!ids.has(name)) problems.push(`user ${JSON.stringify(name)}: missing`);

  const tweets = [...expected.messages].flatMap(([user, texts]) =>
    [...texts].map(([text, count]) => ({ user, text, count })),
  );
  const known = tweets.filter((tweet) => ids.has(tweet.user));
  const counts = await inBatches(known, (batch) =>
    countMessagesWithText(
      db,
      batch.map((tweet) => ({ authorId: ids.get(tweet.user)!, text: tweet.text })),
    ),
  );
  known.forEach((tweet, index) => {
    if (counts[index]! < tweet.count) {
      problems.push(
        `message by ${JSON.stringify(tweet.user)} ${JSON.stringify(tweet.text.slice(0, 80))}: ` +
          `${tweet.count} acknowledged, ${counts[index]} found`,
      );
    }
  });

  const follows = expected.follows.filter((pair) => ids.has(pair.user) && ids.has(pair.target));
  const present = await inBatches(follows, (batch) =>
    followsPresent(
      db,
      batch.map((pair) => ({ whoId: ids.get(pair.user)!, whomId: ids.get(pair.target)! })),
    ),
  );
  follows.forEach((pair, index) => {
    if (present[index] !== pair.present) {
      const [who, whom] = [JSON.stringify(pair.user), JSON.stringify(pair.target)];
      problems.push(
        pair.present
          ? `follow ${who} -> ${whom}: acknowledged, missing`
          : `follow ${who} -> ${whom}: unfollow acknowledged, still there`,
      );
    }
  });
  return {
    checked: { users: names.length, messages: tweets.length, follows: expected.follows.length },
    problems,
  };
}

export const run = defineCommand(
  {
    name: 'check-acknowledged',
    summary: 'check that every write a replay saw acknowledged is in the database',
    usage: USAGE,
    options: { file: { type: 'string' } },
  },
  async ({ values }, io) => {
    if (!values.file) throw new UsageError('--file is required');
    let expected: DurableState;
    let writes: number;
    try {
      const records = parseWriteLog(await readFile(values.file, 'utf8'));
      writes = records.filter((record) => record.acknowledged).length;
      expected = durableState(records);
    } catch (error) {
      const reason = error instanceof WriteLogFormatError ? error.message : (error as Error).message;
      io.err(`check-acknowledged: cannot read ${values.file}: ${reason}`);
      return 2;
    }
    const { checked, problems } = await withDatabase(io, (db) => checkDurable(db, expected));
    io.out(
      `${writes} acknowledged writes: ${checked.users} users, ${checked.messages} distinct messages, ` +
        `${checked.follows} follow states checked` +
        (expected.uncertainFollows > 0
          ? ` (${expected.uncertainFollows} pairs not checked: a later write got no answer)`
          : ''),
    );
    if (problems.length === 0) {
      io.out('every acknowledged write is in the database');
      return 0;
    }
    io.out(`${problems.length} acknowledged writes are not in the database:`);
    for (const problem of problems.slice(0, SHOWN_PROBLEMS)) io.out(`  ${problem}`);
    if (problems.length > SHOWN_PROBLEMS) io.out(`  ... and ${problems.length - SHOWN_PROBLEMS} more`);
    return 1;
  },
);
