// npm run migrate: applies pending migrations to the configured database (the app also does this at start).
import { migrate } from '../src/db/migrate.js';
import { withDatabase } from './cli.js';

await withDatabase(async (db) => {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  return 0;
});
