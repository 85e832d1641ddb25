// minitwit restore FILE [--force] [--trust-unsigned]: restores a backup made by `minitwit backup` into the
// configured database.
import { startDatabase } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadBackupConfig } from '../backup-config.js';
import { ForeignStatementError } from '../backup/allowed-statements.js';
import { BackupFileError, verifyBackup, type Manifest } from '../backup/archive.js';
import { migrationsOf } from '../backup/inventory.js';
import { loadDump, NotEmptyError, VerificationError } from '../backup/load.js';
import { checkSignature } from '../backup/signature.js';
import { SqlScriptError } from '../backup/sql-statements.js';
import { defineCommand, UsageError, OPS_SCRIPT_ENV, type Io } from '../lib/command.js';

const USAGE = `Usage: minitwit restore FILE [--force] [--trust-unsigned]

Restores FILE (a minitwit-<time>.sql.gz from minitwit backup, with its .sha256 and .manifest.json beside it)
into the configured database: the server's, connected as MIGRATION_DATABASE_URL's role (the schema's
owner) when it is set, else as DATABASE_URL's (create the database first: createdb NAME); else the
embedded one in DATA_DIR (stop the app first). A backup of either kind restores into either: that is how
an embedded database moves onto a server.

  1. checks the file's SHA-256 against its .sha256 and the manifest, and the manifest's signature against
     BACKUP_SIGNING_KEY (or BACKUP_SIGNING_KEY_FILE); nothing is touched if either differs, nor if the
     backup is unsigned or no key is set, unless --trust-unsigned;
  2. reads the whole dump and refuses it if it holds any statement a MiniTwit backup never holds
     (transaction control, COPY, DO, functions, roles, another schema, ...), before running any;
  3. refuses a database that holds any table, unless --force: then its public schema is replaced;
  4. loads the dump in one transaction, one statement at a time, as a role that is not a superuser (the
     connection's own; if that is a superuser, the database's owner, or a role made for the restore), and
     checks every table's row count and content digest against the manifest before committing (on any
     difference nothing is restored);
  5. applies the migrations newer than the backup, as the app does at start.

  --force            replace what the database holds
  --trust-unsigned   restore a backup whose manifest is not signed, or not with BACKUP_SIGNING_KEY (only
                     once you know where it came from); steps 2 to 5 still apply

Exit status: 0 restored, 1 the restore failed (nothing restored), 2 bad input (no file, wrong checksum,
an unsigned or wrongly signed backup, a statement our backups never hold, a non-empty database without
--force).`;

/** Whether the backup's origin is shown by its signature, or trusted on the operator's word; else why not. */
function originRefusal(
  manifest: Manifest,
  key: string | undefined,
  trust: boolean,
  io: Io,
): string | undefined {
  const status = key ? checkSignature(manifest, key) : 'no key';
  if (status === 'valid') {
    io.out('Signature verified (BACKUP_SIGNING_KEY).');
    return undefined;
  }
  const why = {
    'no key': "BACKUP_SIGNING_KEY is not set, so the backup's origin cannot be checked",
    unsigned: 'the backup is not signed (it was made without BACKUP_SIGNING_KEY)',
    invalid:
      "the manifest's signature does not match BACKUP_SIGNING_KEY: the backup was made with another key, or changed since",
  }[status];
  if (trust) {
    io.err(`restore: warning: ${why}; restoring it anyway (--trust-unsigned).`);
    return undefined;
  }
  return (
    `${why}. Nothing was restored. Set BACKUP_SIGNING_KEY (or BACKUP_SIGNING_KEY_FILE) to the key the ` +
    'backups are signed with, or give --trust-unsigned to restore it anyway once you know where it came from.'
  );
}

export const run = defineCommand(
  {
    name: 'restore',
    summary: 'restore a backup into an empty database',
    usage: USAGE,
    options: { force: { type: 'boolean' }, 'trust-unsigned': { type: 'boolean' } },
    allowPositionals: true,
  },
  async ({ values, positionals }, io) => {
    if (positionals.length !== 1) throw new UsageError('give one backup file');
    const file = positionals[0]!;
    const config = loadConfig({ ...io.env, ...OPS_SCRIPT_ENV });
    const { signingKey } = loadBackupConfig(io.env);
    const began = performance.now();
    let manifest;
    try {
      manifest = await verifyBackup(file);
    } catch (error) {
      if (!(error instanceof BackupFileError)) throw error;
      io.err(`restore: ${error.message}`);
      return 2;
    }
    io.out(
      `Checksum verified: ${file} (${manifest.source.kind} ${manifest.source.serverVersion}, ${manifest.createdAt})`,
    );
    const refusal = originRefusal(manifest, signingKey, values['trust-unsigned'] ?? false, io);
    if (refusal) {
      io.err(`restore: ${refusal}`);
      return 2;
    }
    const logger = createLogger({ ...config, logLevel: 'warn' }, process.stderr);
    // As the schema's owner when there is one (the app's role may not create tables).
    const owner = { ...config, databaseUrl: config.migrationDatabaseUrl ?? config.databaseUrl };
    const db = io.db ?? (await openDatabase(owner, logger));
    try {
      const result = await loadDump(db, file, manifest, { force: values.force ?? false });
      for (const t of result.tables)
        io.out(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows, digest equal`);
      if (result.skipped.length)
        io.out(`  skipped (not for this database): ${result.skipped.length} statements`);
    } catch (error) {
      if (io.db === undefined) await db.close();
      if (error instanceof ForeignStatementError) {
        io.err(`restore: ${error.message}. Nothing was restored: no statement of the dump ran.`);
        return 2;
      }
      if (error instanceof NotEmptyError) {
        io.err(`restore: ${error.message}`);
        return 2;
      }
      if (error instanceof VerificationError || error instanceof SqlScriptError) {
        io.err(`restore: ${error.message} Nothing was restored.`);
        return 1;
      }
      io.err(`restore: failed, nothing was restored: ${(error as Error).message}`);
      return 1;
    }
    // As the app starts it: pending migrations (a backup from an older version), then warmed up.
    const started = io.db
      ? (await migrate(io.db), io.db)
      : await startDatabase(config, logger, {
          open: () => Promise.resolve(db),
        });
    const backedUp = new Set(manifest.migrations.map((m) => m.version));
    const applied = (await migrationsOf(started)).filter((m) => !backedUp.has(m.version)).map((m) => m.name);
    if (io.db === undefined) await started.close();
    if (applied.length) io.out(`Migrations applied after the restore: ${applied.join(', ')}`);
    io.out(`Restored in ${((performance.now() - began) / 1000).toFixed(1)} s.`);
    return 0;
  },
);
