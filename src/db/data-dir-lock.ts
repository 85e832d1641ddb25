// PGlite has no postmaster to stop a second process opening the same data directory, and two would
// corrupt it. This lock file (holding the owner's pid) refuses the second one with a clear message.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Locks this process holds: a lock file naming our own pid but not in here is stale (in a container the
// app is often pid 1 in every life, so "our pid" alone proves nothing).
const held = new Set<string>();

/** Takes the lock at `path` or throws naming the process that holds it; returns the release function. */
export function lockDataDir(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      return () => {
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      const ours = holder === process.pid;
      if ((ours && held.has(path)) || (!ours && Number.isInteger(holder) && holder > 0 && isAlive(holder))) {
        throw new Error(
          `The embedded database is in use by process ${holder} (lock ${path}). Stop that process first, ` +
            'or set DATABASE_URL to share a PostgreSQL server between processes.',
        );
      }
      rmSync(path, { force: true }); // left behind by a process that died
    }
  }
  throw new Error(`Could not take the lock ${path}`);
}
