// What a database holds, as a backup's manifest records it and a restore checks it: each table's row count
// and a digest of its rows in key order, and the migrations applied. The digest is SHA-256 over each row's
// text form (`row::text`, with UTC and ISO dates set for the transaction), so it is equal on the embedded
// database and on a server, whatever their versions, exactly when every value is.
import { createHash } from 'node:crypto';
import type { Queryable } from '../../src/db/index.js';

export interface TableInventory {
  table: string;
  rows: number;
  sha256: string;
}

export interface MigrationRecord {
  version: number;
  name: string;
  checksum: string | null;
}

const PAGE = 10_000;

/** The public schema's tables, by name. */
async function tables(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  return rows.map((row) => row.name);
}

/** A table's primary-key columns, in key order (every table of ours has one). */
async function keyColumns(q: Queryable, table: string): Promise<string[]> {
  const rows = await q.query<{ name: string }>(
    `SELECT a.attname AS name
     FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = $1::regclass AND i.indisprimary
     ORDER BY k.position`,
    [`public."${table.replace(/"/g, '""')}"`],
  );
  if (rows.length === 0)
    throw new Error(`Table ${table} has no primary key: its rows have no order to digest`);
  return rows.map((row) => row.name);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Counts and digests one table, a page at a time in key order (keyset pages: no OFFSET). */
async function inventoryOf(q: Queryable, table: string): Promise<TableInventory> {
  const keys = await keyColumns(q, table);
  const keyList = keys.map(quote).join(', ');
  const hash = createHash('sha256');
  let rows = 0;
  let after: string[] | undefined;
  for (;;) {
    const where = after ? `WHERE (${keyList}) > (${keys.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const page = await q.query<{ row: string; keys: string[] }>(
      `SELECT t::text AS row, ARRAY[${keys.map((k) => `t.${quote(k)}::text`).join(', ')}] AS keys
       FROM public.${quote(table)} t ${where} ORDER BY ${keyList} LIMIT ${PAGE}`,
      after ?? [],
    );
    for (const { row } of page) hash.update(`${row}\n`);
    rows += page.length;
    if (page.length < PAGE) break;
    after = page.at(-1)!.keys;
  }
  return { table, rows, sha256: hash.digest('hex') };
}

/**
 * Every table's count and digest, read in `tx`: one transaction, so that on a server (REPEATABLE READ, or
 * the snapshot pg_dump reads) they describe one moment. Row texts are made with UTC and ISO dates.
 */
export async function inventory(tx: Queryable): Promise<TableInventory[]> {
  await tx.exec(
    `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1`,
  );
  const result: TableInventory[] = [];
  for (const table of await tables(tx)) result.push(await inventoryOf(tx, table));
  return result;
}

/** The migrations recorded as applied, oldest first (none when the table is missing). */
export async function migrationsOf(q: Queryable): Promise<MigrationRecord[]> {
  const [exists] = await q.query<{ found: boolean }>(
    `SELECT to_regclass('public.schema_migrations') IS NOT NULL AS found`,
  );
  if (!exists?.found) return [];
  return q.query<MigrationRecord>(
    'SELECT version, name, checksum FROM public.schema_migrations ORDER BY version',
  );
}

/** Relations outside PostgreSQL's own schemas: a database with none is empty. */
export async function userRelations(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}
