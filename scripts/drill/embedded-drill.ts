// The move from the embedded database to a server, drilled: the app on PGlite takes part of the course's
// scenario, is stopped, backed up (pglite-tools' pg_dump), the backup restored onto a PostgreSQL server,
// and the app started there must answer every page and API call as it did on PGlite.
import { join } from 'node:path';
import * as drill from './harness.js';
import { busiestUser } from './restore-drill.js';
import { openPglite } from '../../src/db/pglite.js';
import { inventory } from '../backup/inventory.js';

const { check, differences, digestsOf, runScript, signInWorks, snapshotReplies, startServer } = drill;

export async function embeddedDrill(csv: string, adminUrl: string, limit: number): Promise<void> {
  await drill.runDrill('embedded-drill', adminUrl, async ({ clock, dbs, work, log, apps }) => {
    const dataDir = join(work, 'data');
    const { user, password } = await busiestUser(csv, limit);
    const app = await clock.time('start the app on the embedded database', () =>
      startServer({ DATA_DIR: dataDir }, log),
    );
    apps.push(app);
    // The replay only fills the database here: replies over 0.3 s are not this drill's concern, a wrong
    // status or a wrong end state is.
    const replayed = await clock.time(`replay the scenario's first ${limit} actions`, () =>
      runScript(
        'replay',
        ['--url', app.api, '--csv', csv, '--concurrency', '8', '--limit', String(limit)],
        {},
        { nice: true, quiet: true, anyExit: true },
      ),
    );
    check(
      /wrong status: 0\n/.test(replayed) &&
        /connection error: 0\n/.test(replayed) &&
        /end state: OK/.test(replayed),
      'the replay got the right status for every request and left the right end state',
    );
    const before = await snapshotReplies(app, user);
    await app.stop();
    apps.pop();
    const output = await clock.time('back up the embedded database (app stopped)', () =>
      runScript('backup', [], { DATA_DIR: dataDir, BACKUP_DIR: join(work, 'backups') }),
    );
    console.log(output.split('\n')[0]);
    const file = drill.backupIn(join(work, 'backups'));
    const server = await dbs.create('from_embedded');
    await clock.time('restore it onto the PostgreSQL server', () =>
      runScript('restore', [file], { DATABASE_URL: server }),
    );
    const moved = await clock.time('start the app on the server', () =>
      startServer({ DATABASE_URL: server }, log),
    );
    apps.push(moved);
    const after = await snapshotReplies(moved, user);
    for (const [page, body] of Object.entries(before))
      check(after[page] === body, `${page} answers as it did on the embedded database`);
    check(await signInWorks(moved, user, password), `${user} signs in on the server with their password`);

    // And back: the server's backup restores into a new embedded database, table for table.
    await moved.stop();
    apps.pop();
    await clock.time('back up the server database', () =>
      runScript('backup', [], { DATABASE_URL: server, BACKUP_DIR: join(work, 'server-backups') }),
    );
    const back = drill.backupIn(join(work, 'server-backups'));
    await clock.time('restore that into a new embedded database', () =>
      runScript('restore', [back], { DATA_DIR: join(work, 'data2') }),
    );
    const serverDigests = (await digestsOf(server)).filter((t) => t.table !== 'backups');
    const embedded = await openPglite({ dataDir: join(work, 'data2', 'pglite') });
    const embeddedDigests = (await embedded.transaction(inventory)).filter((t) => t.table !== 'backups');
    await embedded.close();
    check(
      differences(serverDigests, embeddedDigests) === '',
      'and back: the server database restored into a new embedded one, every table equal',
    );
  });
}
