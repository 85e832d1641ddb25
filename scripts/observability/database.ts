// The database for the check's app: a throwaway database on a PostgreSQL server when one answers (so the
// pool, postgres-exporter and the host dashboard see real data), else the embedded PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface CheckDatabase {
  /** DATABASE_URL for the app, or undefined for PGlite. */
  url: string | undefined;
  /** postgres-exporter's DATA_SOURCE_NAME for the same database. */
  exporterDsn: string | undefined;
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export async function openCheckDatabase(
  adminUrl = process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL,
): Promise<CheckDatabase> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return { url: undefined, exporterDsn: undefined, drop: async () => {} };
  }
  const name = `minitwit_observability_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const exporter = new URL(url);
  exporter.searchParams.set('sslmode', 'disable');
  return {
    url: url.toString(),
    exporterDsn: exporter.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}
