// Bulk loading with COPY, on either database: on a server through pg-copy-streams (one COPY per table,
// streamed), on PGlite through its COPY ... FROM '/dev/blob' (one COPY per chunk, from memory).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Chunk } from './rows.js';

export interface CopyTarget {
  readonly kind: 'postgres' | 'pglite';
  /** Loads the rows into `table`; `onChunk` is called as each chunk is taken. */
  copy(
    table: string,
    columns: string[],
    chunks: Iterable<Chunk>,
    onChunk: (rows: number) => void,
  ): Promise<void>;
}

const copySql = (table: string, columns: string[], source: string) =>
  `COPY ${table} (${columns.join(', ')}) FROM ${source}`;

function postgresCopy(pool: pg.Pool): CopyTarget {
  return {
    kind: 'postgres',
    async copy(table, columns, chunks, onChunk) {
      const client = await pool.connect();
      try {
        const counted = function* () {
          for (const chunk of chunks) {
            yield chunk.text;
            onChunk(chunk.rows);
          }
        };
        await pipeline(Readable.from(counted()), client.query(copyFrom(copySql(table, columns, 'STDIN'))));
      } finally {
        client.release();
      }
    },
  };
}

function pgliteCopy(pglite: PGlite): CopyTarget {
  return {
    kind: 'pglite',
    async copy(table, columns, chunks, onChunk) {
      const sql = copySql(table, columns, "'/dev/blob'");
      for (const chunk of chunks) {
        await pglite.query(sql, [], { blob: new Blob([chunk.text]) });
        onChunk(chunk.rows);
      }
    },
  };
}

/** The COPY target behind a database opened by src/db (openPglite or openPostgres), if it is one. */
export function copyTargetOf(db: object): CopyTarget | undefined {
  if ('pglite' in db) return pgliteCopy(db.pglite as PGlite);
  if ('pool' in db) return postgresCopy(db.pool as pg.Pool);
  return undefined;
}
