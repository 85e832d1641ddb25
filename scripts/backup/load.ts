// Loads a dump into a database, in one transaction: either all of it is restored, with every table's rows
// and digest equal to the manifest's, or nothing is (the database is left as it was).
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Database, Queryable } from '../../src/db/index.js';
import type { Manifest } from './archive.js';
import { inventory, userRelations, type TableInventory } from './inventory.js';
import { sqlStatements } from './sql-statements.js';

/** The target holds tables and --force was not given. */
export class NotEmptyError extends Error {
  override name = 'NotEmptyError';
}

/** The restored data differ from what the manifest says was backed up (the transaction is rolled back). */
export class VerificationError extends Error {
  override name = 'VerificationError';
}

/** Statements a dump may hold that this target must not run, and why. */
const PGLITE_ONLY = /^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\)$/;
/** Statements are sent in batches of about this many characters (one round trip each). */
const BATCH_CHARS = 1 << 20;

export interface LoadResult {
  statements: number;
  skipped: string[];
  tables: TableInventory[];
}

/** Session settings pg_dump writes first; one this server does not know (a newer one's) is skipped. */
async function knownSetting(tx: Queryable, statement: string): Promise<boolean> {
  const name = /^SET\s+(\w+)\s*=/i.exec(statement)?.[1];
  if (!name) return true;
  const rows = await tx.query('SELECT 1 FROM pg_settings WHERE name = $1', [name.toLowerCase()]);
  return rows.length > 0;
}

async function* textOf(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file).pipe(createGunzip()).setEncoding('utf8');
  for await (const chunk of stream) yield chunk as string;
}

/**
 * Restores the dump `file` into `db`. Refuses a database that holds any table unless `force`, which drops
 * the public schema first (in the same transaction). Checks every table against `manifest` before
 * committing.
 */
export async function loadDump(
  db: Database,
  file: string,
  manifest: Manifest,
  options: { force: boolean },
): Promise<LoadResult> {
  return db.transaction(async (tx) => {
    const existing = await userRelations(tx);
    if (existing.length > 0) {
      if (!options.force) {
        const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? ', ...' : '');
        throw new NotEmptyError(
          `The target database is not empty (${existing.length} relations: ${shown}). Restore into an empty ` +
            'database, or give --force to replace everything in its public schema.',
        );
      }
      await tx.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    }
    const skipped: string[] = [];
    let statements = 0;
    let batch: string[] = [];
    let batchChars = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await tx.exec(batch.join(';\n'));
      batch = [];
      batchChars = 0;
    };
    for await (const statement of sqlStatements(textOf(file))) {
      statements++;
      if (PGLITE_ONLY.test(statement) || !(await knownSetting(tx, statement))) {
        skipped.push(statement);
        continue;
      }
      batch.push(statement);
      batchChars += statement.length;
      if (batchChars >= BATCH_CHARS) await flush();
    }
    await flush();
    // The dump set search_path to '' for the session; the connection goes back to the pool afterwards.
    await tx.exec('RESET ALL');
    const tables = await inventory(tx);
    const problems = compare(manifest.tables, tables);
    if (problems.length > 0)
      throw new VerificationError(`The restored data differ from the manifest: ${problems.join('; ')}`);
    return { statements, skipped, tables };
  });
}

/** What differs between the manifest's tables and the restored ones, one phrase each. */
function compare(expected: TableInventory[], actual: TableInventory[]): string[] {
  const found = new Map(actual.map((t) => [t.table, t]));
  const problems: string[] = [];
  for (const table of expected) {
    const restored = found.get(table.table);
    if (!restored) problems.push(`table ${table.table} is missing`);
    else if (restored.rows !== table.rows)
      problems.push(`${table.table} has ${restored.rows} rows, ${table.rows} were backed up`);
    else if (restored.sha256 !== table.sha256) problems.push(`${table.table}'s content differs`);
  }
  for (const table of actual)
    if (!expected.some((t) => t.table === table.table)) problems.push(`unexpected table ${table.table}`);
  return problems;
}
