// One backup: dump, checksum, manifest, optional upload, a row in `backups` (for /metrics), rotation.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { BackupToolConfig as Config } from '../backup-config.js';
import { recordBackup } from '../../src/data/backups.js';
import type { Database, Queryable } from '../../src/db/index.js';
import { REPO_ROOT } from '../lib/paths.js';
import { backupFileName, companions, writeDump, writeManifest, type Manifest } from './archive.js';
import { dumpPglite, dumpServer, dumpVersions } from './dump.js';
import { inventory, migrationsOf } from './inventory.js';
import { rotate } from './rotation.js';
import { signManifest } from './signature.js';
import { uploadBackup } from './upload.js';

export interface BackupResult {
  file: string;
  manifest: Manifest;
  uploadedTo: string | undefined;
  deleted: string[];
}

async function minitwitVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Backs up `db` (started as the app starts it). On a server, pg_dump reads the snapshot of a REPEATABLE READ
 * transaction of ours, and the manifest's counts and digests are read in that same transaction: the
 * manifest describes exactly what the dump holds, however busy the database is. The embedded database has
 * no other writer (its directory is locked), so no snapshot is needed.
 */
export async function takeBackup(
  config: Config,
  db: Database,
  pglite: PGlite | undefined,
  now = new Date(),
): Promise<BackupResult> {
  const dir = config.backup.dir;
  await mkdir(dir, { recursive: true });
  const file = join(dir, backupFileName(now));
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`${file} exists already`);
  const started = performance.now();
  const [{ version: serverVersion } = { version: '?' }] = await db.query<{ version: string }>(
    'SELECT current_setting($1) AS version',
    ['server_version'],
  );
  const read = async (tx: Queryable) => ({ tables: await inventory(tx), migrations: await migrationsOf(tx) });
  const { written, tables, migrations } = pglite
    ? { ...(await db.transaction(read)), written: await writeDump(await dumpPglite(pglite), file) }
    : await db.transaction(async (tx) => {
        await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const [exported] = await tx.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
        const url = config.databaseUrl ?? '';
        // pg_dump imports the snapshot while this transaction stays open, that is until the dump is written.
        const [contents, dumped] = await Promise.allSettled([
          read(tx),
          writeDump(dumpServer(config.backup.pgDump, url, exported!.snapshot), file),
        ]);
        if (dumped.status === 'rejected') throw dumped.reason;
        if (contents.status === 'rejected') {
          await rm(file, { force: true });
          throw contents.reason;
        }
        return { ...contents.value, written: dumped.value };
      });
  const durationMs = Math.round(performance.now() - started);
  const versions = dumpVersions(written.header);
  const described: Manifest = {
    format: 'minitwit-backup/1',
    file: file.split('/').at(-1)!,
    createdAt: now.toISOString(),
    sizeBytes: written.sizeBytes,
    sha256: written.sha256,
    durationMs,
    source: { kind: db.kind, serverVersion: versions.database ?? serverVersion },
    tools: {
      pgDump: `${versions.pgDump ?? '?'}${pglite ? ' (@electric-sql/pglite-tools, WASM)' : ''}`,
      minitwit: await minitwitVersion(),
      node: process.version,
    },
    tables,
    migrations,
  };
  const key = config.backup.signingKey;
  const manifest = key ? signManifest(described, key) : described;
  await writeManifest(file, manifest);
  const { checksum, manifest: manifestFile } = companions(file);
  const uploadedTo = config.backup.s3.bucket
    ? await uploadBackup(config.backup.s3, { dump: file, others: [checksum, manifestFile] })
    : undefined;
  await recordBackup(db, {
    file: manifest.file,
    sizeBytes: written.sizeBytes,
    sha256: written.sha256,
    durationMs,
    uploadedTo,
  });
  const deleted = await rotate(dir, config.backup);
  return { file, manifest, uploadedTo, deleted };
}
