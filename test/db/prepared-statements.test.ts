// On a server every statement runs as a named prepared statement (src/db/postgres.ts): parsed and planned
// once per connection, then only bound and executed. Only a server has them: on PGlite nothing here.
import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { openPostgres } from '../../src/db/postgres.js';
import { serverDatabaseForSuite } from '../helpers/database.js';

const serverRun = Boolean(process.env.DATABASE_URL);

const preparedNamed = (db: Database, sql: string) =>
  db.transaction(async (tx) => {
    expect(await tx.query<{ n: number }>(sql, [1])).toEqual([{ n: 2 }]);
    expect(await tx.query<{ n: number }>(sql, [41])).toEqual([{ n: 42 }]);
    return tx.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [sql]);
  });

describe.runIf(serverRun)('statements on a server', () => {
  const server = serverDatabaseForSuite();

  test('when one text runs twice on a connection, then it is prepared once and reused', async () => {
    const prepared = await preparedNamed(server.db, 'SELECT $1::int + 1 AS n /* prepared-statements test */');
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^minitwit_[0-9a-f]{24}$/);
  });

  test('when prepared statements are off (DB_PREPARED_STATEMENTS=off), then none is kept', async () => {
    const unnamed = await openPostgres({
      connectionString: server.url,
      poolSize: 1,
      preparedStatements: false,
    });
    try {
      const sql = 'SELECT $1::int + 1 AS n /* unnamed, prepared-statements test */';
      expect(await preparedNamed(unnamed, sql)).toEqual([]);
    } finally {
      await unnamed.close();
    }
  });

  test('when a statement fails to parse, then it fails the same way again, and the connection goes on', async () => {
    const broken = 'SELEC 1 /* prepared-statements test */';
    for (let i = 0; i < 2; i++) await expect(server.db.query(broken)).rejects.toThrow(/syntax error/);
    expect(await server.db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  test('when a table changes under a prepared statement, then the statement is planned again and works', async () => {
    await server.db.exec('CREATE TABLE prepared_probe (id int)');
    const sql = 'SELECT count(*)::int AS n FROM prepared_probe WHERE id = $1';
    expect(await server.db.query(sql, [1])).toEqual([{ n: 0 }]);
    await server.db.exec(
      'ALTER TABLE prepared_probe ADD COLUMN note text; INSERT INTO prepared_probe VALUES (1, NULL)',
    );
    expect(await server.db.query(sql, [1])).toEqual([{ n: 1 }]);
  });
});
