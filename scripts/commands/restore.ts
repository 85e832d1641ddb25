// minitwit restore FILE [--force]: restores a backup made by `minitwit backup` into the configured database.
import { startDatabase } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/observability/logger.js';
import { BackupFileError, verifyBackup } from '../backup/archive.js';
import { migrationsOf } from '../backup/inventory.js';
import { loadDump, NotEmptyError, VerificationError } from '../backup/load.js';
import { SqlScriptError } from '../backup/sql-statements.js';
import { defineCommand, UsageError, OPS_SCRIPT_ENV } from '../lib/command.js';

const USAGE = `Usage: minitwit restore FILE [--force]

Restores FILE (a minitwit-<time>.sql.gz from minitwit backup, with its .sha256 and .manifest.json beside it)
into the configured database: DATABASE_URL (create it first: createdb NAME), else the embedded one in
DATA_DIR (stop the app first). A backup of either kind restores into either: that is how an embedded
database moves onto a server.

  1. checks the file's SHA-256 against its .sha256 and the manifest (nothing is touched if it differs);
  2. refuses a database that holds any table, unless --force: then its public schema is replaced;
  3. loads the dump in one transaction and checks every table's row count and content digest against the
     manifest before committing (on any difference nothing is restored);
  4. applies the migrations newer than the backup, as the app does at start.

Exit status: 0 restored, 1 the restore failed (nothing restored), 2 bad input (no file, wrong checksum,
a non-empty database without --force).`;

export const run = defineCommand(
  {
    name: 'restore',
    summary: 'restore a backup into an empty database',
    usage: USAGE,
    options: { force: { type: 'boolean' } },
    allowPositionals: true,
  },
  async ({ values, positionals }, io) => {
    if (positionals.length !== 1) throw new UsageError('give one backup file');
    const file = positionals[0]!;
    const config = loadConfig({ ...io.env, ...OPS_SCRIPT_ENV });
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
    const logger = createLogger({ ...config, logLevel: 'warn' }, process.stderr);
    const db = io.db ?? (await openDatabase(config, logger));
    try {
      const result = await loadDump(db, file, manifest, { force: values.force ?? false });
      for (const t of result.tables)
        io.out(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows, digest equal`);
      if (result.skipped.length)
        io.out(`  skipped (not for this database): ${result.skipped.length} statements`);
    } catch (error) {
      if (io.db === undefined) await db.close();
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
