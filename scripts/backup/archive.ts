// A backup on disk is three files side by side:
//   minitwit-20261128T030000Z.sql.gz          the dump (plain SQL, gzip)
//   minitwit-20261128T030000Z.sql.gz.sha256   its SHA-256, in sha256sum's format (`sha256sum -c` reads it)
//   minitwit-20261128T030000Z.manifest.json   what it holds: tables' rows and digests, migrations, versions
// The dump is written under a temporary name and renamed when complete: a name that looks like a backup
// is one.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { MigrationRecord, TableInventory } from './inventory.js';

export interface Manifest {
  format: 'minitwit-backup/1';
  file: string;
  createdAt: string;
  sizeBytes: number;
  sha256: string;
  /** How long the dump took. */
  durationMs: number;
  source: { kind: 'pglite' | 'postgres'; serverVersion: string };
  tools: { pgDump: string; minitwit: string; node: string };
  tables: TableInventory[];
  migrations: MigrationRecord[];
  /** `hmac-sha256:<hex>` under BACKUP_SIGNING_KEY (scripts/backup/signature.ts); absent when no key was set. */
  signature?: string;
}

const NAME = /^minitwit-(\d{8}T\d{6}Z)\.sql\.gz$/;

/** The dump's file name for a backup taken at `at`. */
export function backupFileName(at: Date): string {
  return `minitwit-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}.sql.gz`;
}

/** When the backup named `file` was taken, or undefined for a file not named as our backups are. */
export function backupTime(file: string): Date | undefined {
  const stamp = NAME.exec(basename(file))?.[1];
  if (!stamp) return undefined;
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  return new Date(iso);
}

/** The checksum and manifest files that go with the dump `file`. */
export function companions(file: string): { checksum: string; manifest: string } {
  const dir = dirname(file);
  const name = basename(file);
  const stem = name.replace(/\.sql\.gz$/, '');
  return { checksum: join(dir, `${name}.sha256`), manifest: join(dir, `${stem}.manifest.json`) };
}

/** Writes `dump` gzip'ed to `file`, hashing what is written; returns the file's size, hash and first 4 KiB. */
export async function writeDump(
  dump: Readable,
  file: string,
): Promise<{ sizeBytes: number; sha256: string; header: string }> {
  const partial = `${file}.partial`;
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let header = '';
  const peek = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      if (header.length < 4096) header += chunk.toString().slice(0, 4096);
      done(null, chunk);
    },
  });
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(dump, peek, createGzip({ level: 6 }), count, createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const sha256 = hash.digest('hex');
  await writeFile(companions(file).checksum, `${sha256}  ${basename(file)}\n`);
  return { sizeBytes, sha256, header };
}

export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  await writeFile(companions(file).manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Something wrong with a backup's files: reported to the operator as is (exit status 2). */
export class BackupFileError extends Error {
  override name = 'BackupFileError';
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupFileError(
      code === 'ENOENT' ? `${what} not found: ${path}` : `Cannot read ${path}: ${code}`,
    );
  }
}

/** The SHA-256 of a file's bytes. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Checks a backup before anything is restored from it: the dump exists, its SHA-256 equals the one in its
 * .sha256 file (and the manifest's); returns the manifest.
 */
export async function verifyBackup(file: string): Promise<Manifest> {
  try {
    if (!(await stat(file)).isFile()) throw new BackupFileError(`Not a file: ${file}`);
  } catch (error) {
    if (error instanceof BackupFileError) throw error;
    throw new BackupFileError(`Backup not found: ${file}`);
  }
  const { checksum, manifest: manifestFile } = companions(file);
  const expected = /^([0-9a-f]{64})\b/.exec(await readText(checksum, 'Checksum file'))?.[1];
  if (!expected) throw new BackupFileError(`${checksum} holds no SHA-256`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readText(manifestFile, 'Manifest')) as Manifest;
  } catch (error) {
    if (error instanceof BackupFileError) throw error;
    throw new BackupFileError(`${manifestFile} is not valid JSON`);
  }
  if (manifest.format !== 'minitwit-backup/1' || !Array.isArray(manifest.tables))
    throw new BackupFileError(`${manifestFile} is not a MiniTwit backup manifest`);
  const actual = await sha256Of(file);
  if (actual !== expected || actual !== manifest.sha256)
    throw new BackupFileError(
      `Checksum mismatch: ${basename(file)} has SHA-256 ${actual}, but ${basename(checksum)} says ${expected}` +
        (manifest.sha256 !== expected ? ` and the manifest ${manifest.sha256}` : '') +
        '. The file is damaged or not the one backed up; nothing was restored.',
    );
  return manifest;
}
