// pg_dump, for each of our databases: Debian's (or any) pg_dump binary for a server, and for the embedded
// database the WASM build of pg_dump that @electric-sql/pglite-tools ships, run against the PGlite
// instance in this process. Both write the same kind of file: plain SQL with multi-row INSERTs (not COPY),
// which our restore reads on either database, and psql can read by hand.
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import { loadOptional } from '../lib/command.js';

/** Options both dumps share: schema and data, no owners or grants (the target's user owns what it restores). */
const COMMON_ARGS = ['--no-owner', '--no-privileges', '--no-comments', '--rows-per-insert=1000'];

class DumpError extends Error {
  override name = 'DumpError';
}

/** The embedded database as plain SQL (held in memory: the WASM pg_dump writes to a virtual file). */
export async function dumpPglite(pglite: PGlite): Promise<Readable> {
  const { pgDump } = await loadOptional(
    '@electric-sql/pglite-tools',
    () => import('@electric-sql/pglite-tools/pg_dump'),
  );
  const file = await pgDump({ pg: pglite, args: COMMON_ARGS });
  // pg_dump never disconnects here: its read-only REPEATABLE READ transaction and its session settings
  // would stay on this (the only) connection, and the next write would fail. End them.
  await pglite.exec('ROLLBACK; RESET ALL');
  return Readable.from([await file.text()]);
}

/**
 * A server database as plain SQL, streamed from pg_dump. `snapshot` (from pg_export_snapshot) makes it dump
 * exactly what a transaction of ours sees. The password goes in PGPASSWORD, not on the command line.
 */
export function dumpServer(pgDumpPath: string, databaseUrl: string, snapshot?: string): Readable {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  const args = ['--format=plain', ...COMMON_ARGS, '--inserts', `--dbname=${url.toString()}`];
  if (snapshot) args.push(`--snapshot=${snapshot}`);
  const child = spawn(pgDumpPath, args, {
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const output = new PassThrough();
  child.stdout.pipe(output, { end: false });
  child.on('error', (error: NodeJS.ErrnoException) =>
    output.destroy(
      new DumpError(
        error.code === 'ENOENT'
          ? `${pgDumpPath} not found: install PostgreSQL's client tools (Debian: postgresql-client), or set PG_DUMP`
          : `${pgDumpPath}: ${error.message}`,
      ),
    ),
  );
  child.on('close', (code) => {
    if (code === 0) output.end();
    else output.destroy(new DumpError(`pg_dump failed (exit status ${code}): ${stderr.trim()}`));
  });
  return output;
}

/** "-- Dumped from database version 15.19" and "-- Dumped by pg_dump version 18.3", from a dump's header. */
export function dumpVersions(header: string): { database?: string; pgDump?: string } {
  return {
    database: /^-- Dumped from database version (.+)$/m.exec(header)?.[1]?.trim(),
    pgDump: /^-- Dumped by pg_dump version (.+)$/m.exec(header)?.[1]?.trim(),
  };
}
