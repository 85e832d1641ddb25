// The restore drill on a PostgreSQL server: the course's scenario replayed into a fresh database by the real
// app, a backup taken while the replay writes, a backup after it, the database dropped, the backup restored,
// and the restored data checked table by table and through the app (pages, API, an old password).
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgres } from '../../src/db/postgres.js';
import { parseScenario } from '../replay/scenario-file.js';
import * as drill from './harness.js';
import { readFile } from 'node:fs/promises';

const { check, differences, digestsOf, runScript, signInWorks, snapshotReplies, startServer } = drill;

async function messageCount(url: string): Promise<number> {
  const db = await openPostgres({ connectionString: url, poolSize: 1, onIdleError: () => {} });
  try {
    const [row] = await db.query<{ n: number }>('SELECT count(*) AS n FROM messages');
    return row?.n ?? 0;
  } finally {
    await db.close();
  }
}

/** The registered user with the most tweets in the scenario, their password, and the scenario's tweets in all. */
export async function busiestUser(
  csv: string,
  limit = Infinity,
): Promise<{ user: string; password: string; tweets: number; allTweets: number }> {
  const actions = parseScenario(await readFile(csv, 'utf8'), limit);
  const tweets = new Map<string, number>();
  const passwords = new Map<string, string>();
  for (const action of actions) {
    if (action.kind === 'register') passwords.set(action.user, action.password);
    if (action.kind === 'tweet') tweets.set(action.user, (tweets.get(action.user) ?? 0) + 1);
  }
  const [user, count] = [...tweets].filter(([u]) => passwords.has(u)).sort((a, b) => b[1] - a[1])[0]!;
  const allTweets = [...tweets.values()].reduce((a, b) => a + b, 0);
  return { user, password: passwords.get(user)!, tweets: count, allTweets };
}

export async function restoreDrill(csv: string, adminUrl: string, maxSlow: number): Promise<void> {
  await drill.runDrill('drill', adminUrl, async ({ clock, dbs, work, log, apps }) => {
    const { user, password, tweets, allTweets } = await busiestUser(csv);
    console.log(`checking user ${JSON.stringify(user)} (${tweets} tweets in the scenario)`);
    const source = await dbs.create('source');
    const app = await clock.time('start the app on a fresh server database', () =>
      startServer({ DATABASE_URL: source }, log),
    );
    apps.push(app);

    const replay = clock.time(
      'replay the scenario (concurrency 8), with a backup taken while it writes',
      async () => {
        const replaying = runScript(
          'replay',
          ['--url', app.api, '--csv', csv, '--concurrency', '8'],
          {},
          { nice: true, quiet: true, anyExit: true },
        );
        // Back up once a third of the messages are in: the replay is writing all the while.
        while ((await messageCount(source)) < allTweets / 3) await sleep(200);
        const midCount = await messageCount(source);
        await runScript('backup', [], { DATABASE_URL: source, BACKUP_DIR: join(work, 'during') });
        return { midCount, output: await replaying };
      },
    );
    const { midCount, output } = await replay;
    console.log(output.slice(output.indexOf('Replay against')));
    console.log(
      `  (the replay's own result counts every reply over 0.3 s; this drill judges the backup: the checks below allow up to ${maxSlow} slow replies)`,
    );
    const count = (kind: string) => Number(new RegExp(`${kind}[^:\n]*: (\\d+)`).exec(output)?.[1] ?? NaN);
    const timeouts = count('timeout \\(no reply');
    check(
      count('wrong status') === 0 && count('connection error') === 0,
      'no wrong status and no connection error while the backup ran',
    );
    // A backup that blocked writers would time out hundreds of requests; the machine's two cores, shared by
    // the app, the replay, pg_dump and the server, time out a handful even without one.
    check(timeouts <= maxSlow, `${timeouts} replies over 0.3 s (at most ${maxSlow} allowed)`);
    check(
      /latest: OK/.test(output) && /end state: OK/.test(output),
      "/latest and every user's end state right after the replay",
    );

    const before = await snapshotReplies(app, user);
    const digests = await digestsOf(source);
    await app.stop();
    apps.pop();
    const backupOutput = await clock.time('back up the replayed database', () =>
      runScript('backup', [], { DATABASE_URL: source, BACKUP_DIR: join(work, 'after') }),
    );
    const file = drill.backupIn(join(work, 'after'));
    console.log(backupOutput.split('\n')[0]);

    await clock.time('drop the database', () => dbs.drop('source'));
    const restored = await dbs.create('restored');
    await clock.time('restore into a new empty database', () =>
      runScript('restore', [file], { DATABASE_URL: restored }),
    );
    const after = await digestsOf(restored);
    // The restored database's own `backups` table lacks the row written after its dump; all else is equal.
    const data = (t: { table: string }) => t.table !== 'backups';
    check(
      differences(digests.filter(data), after.filter(data)) === '',
      'per-table row counts and content digests equal',
    );
    check(
      after.find((t) => t.table === 'messages')!.rows > 0,
      `${after.find((t) => t.table === 'messages')!.rows} messages restored`,
    );

    const restoredApp = await clock.time('start the app on the restored database', () =>
      startServer({ DATABASE_URL: restored }, log),
    );
    apps.push(restoredApp);
    const replies = await snapshotReplies(restoredApp, user);
    for (const [page, body] of Object.entries(before))
      check(replies[page] === body, `${page} answers as before the drop`);
    check(
      await signInWorks(restoredApp, user, password),
      `${user} signs in on the web with the password from the scenario`,
    );

    const during = drill.backupIn(join(work, 'during'));
    const midRestored = await dbs.create('during');
    await clock.time('restore the backup taken during the replay', () =>
      runScript('restore', [during], { DATABASE_URL: midRestored }),
    );
    const mid = (await digestsOf(midRestored)).find((t) => t.table === 'messages')!.rows;
    const final = after.find((t) => t.table === 'messages')!.rows;
    check(
      mid >= midCount && mid < final,
      `the backup taken during the replay is a consistent snapshot: ${mid} of ${final} messages, every table equal to its manifest, every foreign key valid`,
    );
  });
}
