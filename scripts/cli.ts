// What the ops scripts share: the app's configuration and database, opened and closed around one task.
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/index.js';

/** True when `moduleUrl` is the script node was started with (not imported by a test). */
export const isMain = (moduleUrl: string) =>
  process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;

/** Opens the configured database, runs `task`, closes it, and exits with the task's code. */
export async function withDatabase(task: (db: Database) => Promise<number>): Promise<never> {
  let code = 1;
  try {
    // Ops tools serve no pages, so they need no SESSION_SECRET: read the configuration as the API role does.
    const db = await openDatabase(loadConfig({ ...process.env, MINITWIT_ROLE: 'api' }));
    try {
      code = await task(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    console.error(error instanceof ConfigError ? `Configuration: ${error.message}` : error);
  }
  process.exit(code);
}
