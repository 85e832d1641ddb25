// minitwit migrate: applies pending migrations to the configured database (the app also does this at start).
import { appliedMigrations } from '../../src/db/migrate.js';
import { defineCommand, withDatabase } from '../lib/command.js';

const USAGE = `Usage: minitwit migrate

Applies the pending migrations (src/db/migrations) to the configured database (DATABASE_URL, else the
embedded one in DATA_DIR), after checking that those applied before are unchanged, then lists every
applied migration and when it was applied. The app does the same at start; this is for doing it ahead of
a deployment.`;

export const run = defineCommand(
  { name: 'migrate', summary: 'apply the pending database migrations', usage: USAGE, options: {} },
  async (_args, io) => {
    // The database is migrated as it is started, exactly as the app does it.
    const applied = await withDatabase(io, (db) => appliedMigrations(db));
    for (const { name, appliedAt } of applied) io.out(`${appliedAt.toISOString()}  ${name}`);
    io.out(`The database is up to date (${applied.length} migrations applied).`);
    return 0;
  },
);
