// minitwit backup                     one backup of the configured database, now
// minitwit backup --scheduled      a backup at each BACKUP_SCHEDULE time (cron, UTC), until stopped
import type { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadBackupConfig, type BackupToolConfig as Config } from '../backup-config.js';
import { takeBackup, type BackupResult } from '../backup/take-backup.js';
import {
  defineCommand,
  loadOptional,
  UsageError,
  withDatabase,
  type Io,
  OPS_SCRIPT_ENV,
} from '../lib/command.js';

const croner = () => loadOptional('croner', () => import('croner'));

const USAGE = `Usage: minitwit backup [--scheduled]

Backs up the configured database (DATABASE_URL with pg_dump, else the embedded one in DATA_DIR, which must
not be open in a running app) into BACKUP_DIR as three files: minitwit-<UTC time>.sql.gz (plain SQL, gzip),
its .sha256 and its .manifest.json (rows and a digest per table, migrations, versions), the manifest signed
with BACKUP_SIGNING_KEY (HMAC-SHA256; without a key the backup is unsigned, with a warning, and restoring it
needs --trust-unsigned). Then uploads them
when BACKUP_S3_BUCKET is set, records the backup in the database (for /metrics), and deletes backups beyond
BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY weeks.

  --scheduled   keep running, backing up at each time of BACKUP_SCHEDULE (cron, UTC; default "0 3 * * *"),
                logging one JSON line per backup; a failed backup is logged and retried at the next time.

Settings: BACKUP_SIGNING_KEY (or BACKUP_SIGNING_KEY_FILE; 32+ characters, kept apart from the backups),
BACKUP_DIR (./backups), BACKUP_KEEP_DAILY (7), BACKUP_KEEP_WEEKLY (4), BACKUP_SCHEDULE, PG_DUMP
(pg_dump; its major version must be at least the server's), BACKUP_S3_BUCKET, BACKUP_S3_ENDPOINT (e.g.
https://fra1.digitaloceanspaces.com), BACKUP_S3_REGION, BACKUP_S3_PREFIX (minitwit/), BACKUP_S3_ACCESS_KEY_ID,
BACKUP_S3_SECRET_ACCESS_KEY (or *_FILE), BACKUP_S3_FORCE_PATH_STYLE.`;

/** The PGlite instance behind a database opened by openDatabase (the embedded kind), for its pg_dump. */
const pgliteOf = (db: Database | undefined): PGlite | undefined =>
  db && 'pglite' in db ? (db as { pglite: PGlite }).pglite : undefined;

function backupOnce(config: Config, io: Io): Promise<BackupResult> {
  let raw: Database | undefined = io.db;
  const logger = createLogger({ ...config, logLevel: 'warn' }, process.stderr);
  const open = async () => (raw = await openDatabase(config, logger));
  return withDatabase(io, (db) => takeBackup(config, db, pgliteOf(raw)), { open });
}

const UNSIGNED_WARNING =
  'warning: BACKUP_SIGNING_KEY is not set, so this backup is not signed: restoring it will need ' +
  '--trust-unsigned (set BACKUP_SIGNING_KEY or BACKUP_SIGNING_KEY_FILE, 32+ characters, kept apart from the backups)';

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1)} MB`;

function report(io: Io, { file, manifest, uploadedTo, deleted }: BackupResult): void {
  io.out(
    `Backed up to ${file} (${megabytes(manifest.sizeBytes)}, ${(manifest.durationMs / 1000).toFixed(1)} s)`,
  );
  for (const t of manifest.tables) io.out(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows`);
  io.out(`  sha256 ${manifest.sha256}`);
  if (manifest.signature) io.out('  manifest signed with BACKUP_SIGNING_KEY');
  if (uploadedTo) io.out(`Uploaded to ${uploadedTo}`);
  if (deleted.length) io.out(`Rotation deleted: ${deleted.join(', ')}`);
}

/** Runs until SIGTERM or SIGINT; a backup in progress then finishes first. */
async function runScheduled(config: Config, io: Io): Promise<number> {
  const { Cron } = await croner();
  const logger = createLogger(config, process.stdout);
  let running: Promise<void> = Promise.resolve();
  const job = new Cron(config.backup.schedule, { timezone: 'UTC', protect: true }, () => {
    running = backupOnce(config, io).then(
      ({ file, manifest, deleted }) => {
        const backup = { file, size_bytes: manifest.sizeBytes, duration_ms: manifest.durationMs, deleted };
        logger.info({ backup }, 'backup done');
      },
      (error: unknown) => {
        logger.error({ err: error }, 'backup failed');
      },
    );
    return running;
  });
  logger.info({ schedule: config.backup.schedule, next: job.nextRun()?.toISOString() }, 'backups scheduled');
  if (!config.backup.signingKey) logger.warn(UNSIGNED_WARNING);
  await new Promise<void>((resolve) => {
    const stop = () => {
      job.stop();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await running;
  return 0;
}

export const run = defineCommand(
  {
    name: 'backup',
    summary: 'back up the database (once, or on BACKUP_SCHEDULE)',
    usage: USAGE,
    options: { scheduled: { type: 'boolean' } },
  },
  async ({ values }, io) => {
    const config = { ...loadConfig({ ...io.env, ...OPS_SCRIPT_ENV }), backup: loadBackupConfig(io.env) };
    if (values.scheduled) {
      const { Cron } = await croner();
      try {
        new Cron(config.backup.schedule, { paused: true }).stop();
      } catch (error) {
        throw new UsageError(
          `BACKUP_SCHEDULE="${config.backup.schedule}" is not a cron expression: ${(error as Error).message}`,
        );
      }
      return runScheduled(config, io);
    }
    try {
      report(io, await backupOnce(config, io));
      if (!config.backup.signingKey) io.err(UNSIGNED_WARNING);
      return 0;
    } catch (error) {
      io.err(`backup failed: ${(error as Error).message}`);
      return 1;
    }
  },
);
