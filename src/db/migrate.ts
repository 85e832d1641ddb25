// Numbered SQL migrations (migrations/NNN_name.sql), applied in order, each once, by whichever replica
// starts first. Each applied file's checksum is recorded: a file changed after it was applied would leave
// databases that ran the old text and the new one different without anyone noticing, so start-up stops.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Database, Queryable } from './database.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
// Any constant works; it only has to be the same in every replica.
const MIGRATION_LOCK_ID = 5_000_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered `NNN_name.sql` files, in order. */
export function loadMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d+_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file, 10),
      name: file.replace(/\.sql$/, ''),
      sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
}

/** Line endings do not count: a checkout on Windows is the same migration. */
export const checksumOf = (migration: Migration): string =>
  createHash('sha256').update(migration.sql.replace(/\r\n/g, '\n')).digest('hex');

export class MigrationChangedError extends Error {
  override name = 'MigrationChangedError';
}

/**
 * Applies the migrations not yet applied, all in one transaction under an advisory lock: replicas that
 * start together queue on the lock, and the ones after the first find nothing left to do. Refuses (and
 * applies nothing) when an applied migration's file has changed since. Returns the names it applied.
 */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    // A migration may rewrite or index big tables: the app's per-statement timeout is not for it.
    await tx.exec('SET LOCAL statement_timeout = 0');
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    // Past the replicas' queue: a migration that waits for a table's lock (a long transaction holds it)
    // fails after 5 s, instead of queueing every query behind it while the healthcheck's start period
    // runs out; the replica exits, and its restart tries again.
    await tx.exec("SET LOCAL lock_timeout = '5s'");
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text`);
    const rows = await tx.query<{ version: number; checksum: string | null }>(
      'SELECT version, checksum FROM schema_migrations',
    );
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const names: string[] = [];
    for (const migration of migrations) {
      const checksum = checksumOf(migration);
      if (!applied.has(migration.version)) {
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          checksum,
        ]);
        names.push(migration.name);
      } else if (applied.get(migration.version) === null) {
        // Applied before checksums were recorded: this text is taken as the one that ran.
        await recordChecksum(tx, migration.version, checksum);
      } else if (applied.get(migration.version) !== checksum) {
        throw new MigrationChangedError(
          `Migration ${migration.name}.sql was changed after it was applied to this database. ` +
            'Restore the file as it was applied, and put the change in a new migration.',
        );
      }
    }
    return names;
  });
}

async function recordChecksum(tx: Queryable, version: number, checksum: string): Promise<void> {
  await tx.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1', [version, checksum]);
}

/** The migrations applied to `db`, oldest first. */
export function appliedMigrations(db: Queryable): Promise<{ name: string; appliedAt: Date }[]> {
  return db.query('SELECT name, applied_at AS "appliedAt" FROM schema_migrations ORDER BY version');
}
