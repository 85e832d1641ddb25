// Where things are, whether this runs from scripts/ (vitest) or from dist/scripts/ (node).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRoot(import.meta.dirname);
/** The app's server, as built (`npm run build`). */
export const SERVER_ENTRY = join(REPO_ROOT, 'dist/src/server.js');
/** The CLI, as built: `node CLI_ENTRY <command>`. */
export const CLI_ENTRY = join(REPO_ROOT, 'dist/scripts/minitwit.js');
