// Loads a dump into a database, in one transaction: either all of it is restored, with every table's rows
// and digest equal to the manifest's, or nothing is (the database is left as it was).
// A dump is untrusted input until it is loaded: it is read through once first, and refused if it holds
// anything a dump of ours does not (allowed-statements.ts), before any of it runs; its statements then run
// one at a time, each as exactly one statement (the server refuses a second), as a role that is not a
// superuser.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Database, Queryable } from '../../src/db/index.js';
import { checkMetaCommand, checkStatement } from './allowed-statements.js';
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

/** The dump's statements, each checked against what a dump of ours holds (ForeignStatementError if not). */
async function* checkedStatements(file: string): AsyncGenerator<string> {
  for await (const statement of sqlStatements(textOf(file), checkMetaCommand)) {
    checkStatement(statement);
    yield statement;
  }
}

/** Reads the whole dump, refusing it at its first statement that a dump of ours never holds. */
async function checkDump(file: string): Promise<void> {
  const statements = checkedStatements(file);
  while (!(await statements.next()).done);
}

const quoteName = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Makes the transaction's role one that is not a superuser, for the dump's statements: the connection's
 * own role when it is not one (the schema's owner, as MIGRATION_DATABASE_URL connects); else the
 * database's owner when that is not one; else a role made for this restore (its objects handed to the
 * connection's role afterwards, the role dropped: the database ends as it would have without it). Returns
 * what puts the transaction back.
 */
async function dropPrivileges(tx: Queryable): Promise<() => Promise<void>> {
  const [me] = await tx.query<{ role: string; superuser: boolean; owner: string; ownerSuperuser: boolean }>(
    `SELECT r.rolname AS role, r.rolsuper AS superuser, o.rolname AS owner, o.rolsuper AS "ownerSuperuser"
     FROM pg_roles r, pg_database d JOIN pg_roles o ON o.oid = d.datdba
     WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  if (!me) throw new Error('cannot read the current role and the database owner');
  if (!me.superuser) return async () => {};
  const temporary = me.ownerSuperuser ? `minitwit_restore_${randomBytes(6).toString('hex')}` : undefined;
  const role = temporary ?? me.owner;
  if (temporary)
    await tx.exec(`CREATE ROLE ${quoteName(temporary)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  const [can] = await tx.query<{ create: boolean }>(
    `SELECT has_schema_privilege($1, 'public', 'CREATE') AS "create"`,
    [role],
  );
  if (!can?.create) await tx.exec(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteName(role)}`);
  await tx.exec(`SET LOCAL ROLE ${quoteName(role)}`);
  const [now] = await tx.query<{ superuser: boolean }>(
    'SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
  );
  if (now?.superuser !== false) throw new Error(`the restore's role ${role} is a superuser`);
  return async () => {
    await tx.exec('RESET ROLE');
    if (!temporary) return;
    const name = quoteName(temporary);
    await tx.exec(
      `REASSIGN OWNED BY ${name} TO ${quoteName(me.role)}; DROP OWNED BY ${name}; DROP ROLE ${name}`,
    );
  };
}

/**
 * Drops every relation in the public schema but not the schema: its owner, its grants and the default
 * privileges the roles' setup gave the app's role (deploy/postgres/initdb) belong to the schema, and a
 * schema dropped and made again would leave the app unable to read the restored tables.
 */
async function emptyPublicSchema(tx: Queryable): Promise<void> {
  const drops = await tx.query<{ drop: string }>(
    `SELECT format('DROP %s IF EXISTS public.%I CASCADE', CASE c.relkind WHEN 'v' THEN 'VIEW'
       WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
       c.relname) AS drop
     FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     ORDER BY c.relkind = 'S'`,
  );
  for (const { drop } of drops) await tx.exec(drop);
}

/**
 * Restores the dump `file` into `db`. Refuses a dump that holds anything but what ours hold
 * (ForeignStatementError) before running any of it. Refuses a database that holds any table unless
 * `force`, which drops the public schema first (in the same transaction). Checks every table against
 * `manifest` before committing.
 */
export async function loadDump(
  db: Database,
  file: string,
  manifest: Manifest,
  options: { force: boolean },
): Promise<LoadResult> {
  await checkDump(file);
  return db.transaction(async (tx) => {
    const existing = await userRelations(tx);
    if (existing.length > 0) {
      if (!options.force) {
        const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? ', ...' : '');
        throw new NotEmptyError(
          `The target database is not empty (${existing.length} relations: ${shown}). Restore into an empty ` +
            'database, or give --force to replace every table in its public schema.',
        );
      }
      await emptyPublicSchema(tx);
    }
    const skipped: string[] = [];
    let statements = 0;
    const restorePrivileges = await dropPrivileges(tx);
    // Checked again as they run: the file is read a second time.
    for await (const statement of checkedStatements(file)) {
      statements++;
      if (PGLITE_ONLY.test(statement) || !(await knownSetting(tx, statement))) {
        skipped.push(statement);
        continue;
      }
      await tx.exec(statement, { oneStatement: true });
    }
    await restorePrivileges();
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
