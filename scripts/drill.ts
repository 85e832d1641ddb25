// npm run drill -- restore|embedded --csv FILE [--pg URL]: the backup drills CI runs (.ci/steps/55-backup-drills.sh).
import { embeddedDrill } from './drill/embedded-drill.js';
import { restoreDrill } from './drill/restore-drill.js';
import { defineCommand, positiveInteger, runMain, UsageError } from './command.js';

const USAGE = `Usage: npm run drill -- restore  --csv FILE [--pg URL]
       npm run drill -- embedded --csv FILE [--pg URL] [--limit K]

Runs a backup drill against real processes (the app, replay, backup and restore from dist/) and a
PostgreSQL server (--pg, an admin URL; default postgres://postgres@127.0.0.1:5432/postgres), in databases
of its own that it drops at the end. Prints each check and each phase's time; exits 1 on any failure.

  restore   replays the scenario into a fresh server database, backs up while the replay writes and after
            it, drops the database, restores; then compares every table's rows and digest, the pages and
            API replies, and signs in with a user's password from the scenario. Fails on any wrong status
            or connection error during the replay, and on more than --max-slow replies over 0.3 s
            (default 26, 0.1%: a backup that blocked writers would delay hundreds)
  embedded  replays the first K actions (default 5000) on the embedded database, backs it up, restores it
            onto the server and compares the pages and API replies; then moves it back into PGlite`;

export const run = defineCommand(
  {
    name: 'drill',
    usage: USAGE,
    options: {
      csv: { type: 'string' },
      pg: { type: 'string' },
      limit: { type: 'string' },
      'max-slow': { type: 'string' },
    },
    allowPositionals: true,
  },
  async ({ values, positionals }) => {
    const [kind] = positionals;
    if (!values.csv) throw new UsageError('--csv is required');
    const pgUrl = values.pg ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    if (kind === 'restore') await restoreDrill(values.csv, pgUrl, Number(values['max-slow'] ?? 26));
    else if (kind === 'embedded')
      await embeddedDrill(values.csv, pgUrl, positiveInteger(values.limit, '--limit', 5000));
    else throw new UsageError('say which drill: restore or embedded');
    console.log('drill passed');
    return 0;
  },
);

runMain(import.meta.url, run);
