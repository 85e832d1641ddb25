// minitwit seed: fills the configured database with a large, skewed data set, fast (COPY).
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { hashPassword } from '../../src/passwords.js';
import {
  defineCommand,
  loadOptional,
  positiveInteger,
  UsageError,
  withDatabase,
  OPS_SCRIPT_ENV,
} from '../lib/command.js';
import { copyTargetOf, type CopyTarget } from '../seed/copy.js';
import { SEED_PASSWORD, SeedConflictError, seedDatabase } from '../seed/seed.js';

const USAGE = `Usage: minitwit seed --users N --messages M --follows F [options]

Adds N users, M messages and about F follows to the database the app is configured with (DATABASE_URL,
else the embedded one in DATA_DIR), with COPY, and a realistic skew: a few users with very many followers
who also write the most, some following thousands, most following a few; message dates spread evenly
over the past (newest now), some flagged. The same seed gives the same data. Every seeded user signs in
with the password "${SEED_PASSWORD}". Stop the app first on the embedded database (one process at a time).

  --users N         users to add (named <prefix>1 .. <prefix>N)
  --messages M      messages to add
  --follows F       follows to add (about; one user follows at most --max-follows, at most everyone)
  --prefix P        the usernames' prefix (default seed); must not be in use
  --seed S          the random seed (default 0)
  --days D          messages spread over the last D days (default 730)
  --flagged SHARE   share of flagged messages (default 0.005)
  --max-follows K   the most users one user follows (default 5000)
  --quiet           no progress bar
  --help            this text`;

function share(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1)
    throw new UsageError('--flagged must be between 0 and 1');
  return number;
}

export const run = defineCommand(
  {
    name: 'seed',
    summary: 'fill the database with a large, skewed data set',
    usage: USAGE,
    options: {
      users: { type: 'string' },
      messages: { type: 'string' },
      follows: { type: 'string' },
      prefix: { type: 'string', default: 'seed' },
      seed: { type: 'string', default: '0' },
      days: { type: 'string' },
      flagged: { type: 'string' },
      'max-follows': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  },
  async ({ values }, io) => {
    for (const required of ['users', 'messages', 'follows'] as const)
      if (values[required] === undefined) throw new UsageError(`--${required} is required`);
    const count = (value: string | undefined, name: string) =>
      value === '0' ? 0 : positiveInteger(value, name, 0);
    if (!/^[\p{L}\p{N}_.-]{1,150}$/u.test(values.prefix))
      throw new UsageError('--prefix must be letters, digits, _ . -');
    const plan = {
      users: positiveInteger(values.users, '--users', 0),
      messages: count(values.messages, '--messages'),
      follows: count(values.follows, '--follows'),
      seed: values.seed,
      prefix: values.prefix,
      days: positiveInteger(values.days, '--days', 730),
      flaggedShare: share(values.flagged, 0.005),
      maxFollows: positiveInteger(values['max-follows'], '--max-follows', 5000),
      // One hash for everyone: a KDF run per user would take longer than the whole COPY.
      pwHash: await hashPassword(SEED_PASSWORD),
      now: new Date(),
    };
    // The driver's own handle (a pg pool, a PGlite) behind the database, for COPY.
    let raw: Database | undefined;
    let copy: CopyTarget | undefined;
    const open = async () => {
      const config = loadConfig({ ...io.env, ...OPS_SCRIPT_ENV });
      raw = await openDatabase(config, createLogger({ ...config, logLevel: 'warn' }, process.stderr));
      return raw;
    };
    const cliProgress = await loadOptional('cli-progress', () => import('cli-progress'));
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'seed {bar} {percentage}% | {value}/{total} rows | {table} | {duration_formatted}',
        noTTYOutput: true,
        notTTYSchedule: 5000,
      },
      cliProgress.Presets.shades_classic,
    );
    const expectedRows = plan.users + plan.messages + Math.min(plan.follows, plan.users * (plan.users - 1));
    if (!values.quiet) bar.start(expectedRows, 0, { table: 'users' });
    try {
      const result = await withDatabase(
        io,
        async (db) => {
          copy = copyTargetOf(raw ?? db);
          if (!copy) throw new Error('seed: this database offers no COPY');
          return seedDatabase(db, copy, plan, ({ table, rows }) => bar.increment(rows, { table }));
        },
        { open },
      );
      bar.stop();
      const s = result.seconds;
      const rate = (rows: number, seconds: number) =>
        seconds > 0 ? Math.round(rows / seconds).toLocaleString('en-US') : '-';
      io.out(
        [
          `Seeded ${result.users} users, ${result.messages} messages, ${result.follows} follows in ${s.total} s ` +
            `(on ${copy?.kind ?? 'the given database'}):`,
          `  users     ${s.users} s (${rate(result.users, s.users)} rows/s)`,
          `  messages  ${s.messages} s (${rate(result.messages, s.messages)} rows/s)`,
          `  follows   ${s.follows} s (${rate(result.follows, s.follows)} rows/s)`,
          `  ANALYZE   ${s.analyze} s`,
          `Every seeded user (${plan.prefix}1 .. ${plan.prefix}${plan.users}) signs in with the password "${SEED_PASSWORD}".`,
        ].join('\n'),
      );
      return 0;
    } catch (error) {
      bar.stop();
      if (!(error instanceof SeedConflictError)) throw error;
      io.err(`seed: ${error.message}`);
      return 2;
    }
  },
);
