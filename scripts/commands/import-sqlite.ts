// minitwit import-sqlite path/to/minitwit.db: moves an original MiniTwit (Flask, SQLite) into ours.
import { LegacyFileError, legacyCounts, openLegacy, readLegacy } from '../import-sqlite/legacy-rows.js';
import { writeLegacy, type ImportCounts } from '../import-sqlite/write.js';
import { defineCommand, loadOptional, UsageError, withDatabase, type Io } from '../lib/command.js';

const USAGE = `Usage: minitwit import-sqlite path/to/minitwit.db

Copies an original MiniTwit's SQLite database (tables user, follower, message) into the configured database
(DATABASE_URL, else the embedded one in DATA_DIR), in one transaction: users, follows and messages keep
their ids, passwords keep working (Werkzeug hashes are checked at sign-in, then upgraded), and new users
and posts get ids after the imported ones. Running it again adds nothing.

Rows our schema cannot hold are skipped and counted by reason: empty messages, a second user with a taken
username, duplicate follows, follows and messages of users that are missing, NUL characters. Names meet
the sign-up rules: a user whose name is reserved (logout, public, ...), holds invisible, control or
text-direction characters, mixes look-alike scripts, or looks like an earlier or existing user's, is
skipped with their messages and follows, never renamed. A Werkzeug hash that costs more than a sign-in may
spend (PBKDF2 over 1,000,000 iterations, scrypt N*r*p over 262,144) is not imported: its user is, without
a password, and needs a new one. A message without a date is imported dated 1970-01-01. The counts are
printed at the end.`;

function printCounts(
  io: Io,
  { added, alreadyThere, skipped }: ImportCounts,
  adjusted: Map<string, number>,
): void {
  const row = (what: string, n: number, m: number) =>
    io.out(`  ${what.padEnd(9)} ${String(n).padStart(9)} added ${String(m).padStart(9)} already there`);
  io.out('Imported:');
  row('users', added.users, alreadyThere.users);
  row('follows', added.follows, alreadyThere.follows);
  row('messages', added.messages, alreadyThere.messages);
  if (adjusted.size) io.out('Imported with a change:');
  for (const [reason, n] of adjusted) io.out(`  ${String(n).padStart(9)}  ${reason}`);
  io.out(skipped.size ? 'Skipped:' : 'Skipped: nothing');
  for (const [reason, n] of [...skipped].sort()) io.out(`  ${String(n).padStart(9)}  ${reason}`);
}

export const run = defineCommand(
  {
    name: 'import-sqlite',
    summary: "move an original MiniTwit's SQLite database into this one",
    usage: USAGE,
    options: {},
    allowPositionals: true,
  },
  async ({ positionals }, io) => {
    if (positionals.length !== 1) throw new UsageError('give one SQLite file');
    let legacy;
    try {
      legacy = openLegacy(positionals[0]!);
    } catch (error) {
      if (!(error instanceof LegacyFileError)) throw error;
      io.err(`import-sqlite: ${error.message}`);
      return 2;
    }
    const totals = legacyCounts(legacy);
    const total = totals.users + totals.follows + totals.messages;
    // Read, then write: each row passes the bar twice.
    const { SingleBar } = await loadOptional('cli-progress', () => import('cli-progress'));
    const bar = new SingleBar({
      format: '{bar} {percentage}% | {value}/{total} rows | {stage}',
      stream: process.stderr,
      // Not at a terminal (a container's log): a line every 5 s instead of redrawing.
      noTTYOutput: true,
      notTTYSchedule: 5000,
    });
    // On the command line; a caller with its own output (a test) gets the counts only.
    const showBar = io.env === process.env;
    if (showBar) bar.start(total * 2, 0, { stage: 'reading' });
    const data = readLegacy(legacy, () => showBar && bar.increment());
    legacy.close();
    const started = performance.now();
    const counts = await withDatabase(io, (db) =>
      db.transaction((tx) => {
        if (showBar) bar.update({ stage: 'writing' });
        return writeLegacy(tx, data, (n) => showBar && bar.increment(n));
      }),
    );
    if (showBar) {
      bar.update(total * 2);
      bar.stop();
    }
    printCounts(io, counts, data.adjusted);
    io.out(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  },
);
