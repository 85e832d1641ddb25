// DATA_DIR holds the embedded database (password hashes, e-mail addresses) and the generated session
// secret: they are the owner's alone. PGlite creates its files 0666 whatever the umask, so at every start
// (and after PGlite has created or opened its files) DATA_DIR is made 0700 and what MiniTwit keeps in it
// owner-only: a folder 0700, a file 0600. Files PGlite adds while running are 0666 again, but inside a
// 0700 directory no one else can reach them. Anything else in DATA_DIR is left alone, symbolic links are
// never followed, and a shared directory (/tmp: sticky bit) is refused rather than locked.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** What MiniTwit keeps in DATA_DIR. */
const OWN_ENTRIES = ['pglite', 'pglite.lock', 'session-secret'];

export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** Makes `path` owner-only (a folder 0700 and everything in it, a file 0600). */
export function secureTree(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  const wanted = stat.isDirectory() ? 0o700 : 0o600;
  if ((stat.mode & 0o777) !== wanted) {
    try {
      chmodSync(path, wanted);
    } catch (error) {
      throw new DataDirError(
        `Cannot make ${path} owner-only (${(error as Error).message}): it belongs to uid ${stat.uid}, ` +
          `this process runs as uid ${process.getuid?.() ?? '?'}. Give DATA_DIR to the user the app runs as.`,
      );
    }
  }
  if (stat.isDirectory()) for (const entry of readdirSync(path)) secureTree(join(path, entry));
}

/** Creates DATA_DIR if needed, makes it 0700 and what MiniTwit keeps in it owner-only. */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (lstatSync(dir).mode & 0o1000)
    throw new DataDirError(
      `DATA_DIR=${dir} is a shared directory (its sticky bit is set, as /tmp's): give MiniTwit a directory of its own`,
    );
  const root = lstatSync(dir);
  if ((root.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  for (const entry of OWN_ENTRIES) if (existsSync(join(dir, entry))) secureTree(join(dir, entry));
}
