// DATA_DIR holds the embedded database (password hashes, e-mail addresses) and the generated session
// secret: it is the owner's alone. PGlite creates its files 0666 whatever the umask, so at every start
// (and after PGlite has created or opened its files) the directory is made 0700 and everything in it
// owner-only: a folder 0700, a file 0600. Files PGlite adds while running are 0666 again, but inside a
// 0700 directory no one else can reach them. Symbolic links are left alone, never followed.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

function secure(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  const wanted = stat.isDirectory() ? 0o700 : 0o600;
  if ((stat.mode & 0o777) !== wanted) {
    try {
      chmodSync(path, wanted);
    } catch (error) {
      throw new DataDirError(
        `Cannot make ${path} owner-only (${(error as Error).message}); it belongs to uid ${stat.uid}, ` +
          `this process runs as uid ${process.getuid?.() ?? '?'}. Give DATA_DIR to the user the app runs as.`,
      );
    }
  }
  if (stat.isDirectory()) for (const entry of readdirSync(path)) secure(join(path, entry));
}

/** Creates `dir` if needed and makes it and everything in it owner-only. */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  secure(dir);
}
