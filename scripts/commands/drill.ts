// minitwit drill restore|embedded|outage --csv FILE: the backup drills (.ci/steps/55-backup-drills.sh) and
// the database outage drill (.ci/steps/58-database-outage.sh) CI runs.
import { outageDrill } from '../drill/outage-drill.js';
import { embeddedDrill } from '../drill/embedded-drill.js';
import { restoreDrill } from '../drill/restore-drill.js';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';

const USAGE = `Usage: minitwit drill restore  --csv FILE [--pg URL]
       minitwit drill embedded --csv FILE [--pg URL] [--limit K]
       minitwit drill outage   --csv FILE [--limit K] [--port P] [--down-seconds S] [--pg-bin DIR] [--keep]

Runs a backup drill against real processes (the app, replay, backup and restore from dist/) and a
PostgreSQL server (--pg, an admin URL; default postgres://postgres@127.0.0.1:5432/postgres), in databases
of its own that it drops at the end. Prints each check and each phase's time; exits 1 on any failure.

  restore   replays the scenario into a fresh server database, backs up while the replay writes and after
            it, drops the database, restores; then compares every table's rows and digest, the pages and
            API replies, and signs in with a user's password from the scenario. Fails on any wrong status
            or connection error during the replay, and on more than --max-slow replies over 0.3 s
            (default 26, 0.1%: a backup that blocked writers would delay hundreds)
  embedded  replays the first K actions (default 5000) on the embedded database, backs it up, restores it
            onto the server and compares the pages and API replies; then moves it back into PGlite
  outage    makes a throwaway PostgreSQL cluster of its own (initdb into a temporary directory, on --port,
            default 25433; as root, as the postgres user; --pg-bin: where pg_ctl is, default the newest
            in /usr/lib/postgresql), runs the web and API roles on it and replays the first K actions
            (default 20000, at most 600 a second, so that it outlasts both faults); meanwhile stops
            the cluster (pg_ctl stop -m fast), then crashes it (-m immediate), each for --down-seconds
            (default 5) before starting it again. Checks that the API answers 503 JSON, the pages 503
            HTML and /readyz 503 while it is down, nothing else but 200 (no 500, no dropped
            connection), that both processes recover by themselves (the seconds are printed) and never
            restart, and that every acknowledged write is in the database. --keep keeps the logs. Never
            touches any other server`;

export const run = defineCommand(
  {
    name: 'drill',
    summary: 'run a backup drill or the database outage drill',
    usage: USAGE,
    options: {
      csv: { type: 'string' },
      pg: { type: 'string' },
      limit: { type: 'string' },
      'max-slow': { type: 'string' },
      port: { type: 'string' },
      'down-seconds': { type: 'string' },
      'pg-bin': { type: 'string' },
      keep: { type: 'boolean', default: false },
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
    else if (kind === 'outage')
      await outageDrill({
        csv: values.csv,
        limit: positiveInteger(values.limit, '--limit', 20_000),
        port: positiveInteger(values.port, '--port', 25_433),
        downSeconds: positiveInteger(values['down-seconds'], '--down-seconds', 5),
        keep: values.keep,
        ...(values['pg-bin'] ? { pgBin: values['pg-bin'] } : {}),
      });
    else throw new UsageError('say which drill: restore, embedded or outage');
    console.log('drill passed');
    return 0;
  },
);
