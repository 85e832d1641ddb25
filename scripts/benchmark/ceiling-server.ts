// The ceilings' server, in a process of its own: bare Fastify (no logging, no hooks, no plugins) with
//   GET  /fixed/<i>  the bytes of one of our replies, captured just before, with the same content type;
//   POST /insert     one single-row INSERT of the posted JSON's `content`, through a pool as large as the
//                    load's connections (a PostgreSQL server), or into an embedded PGlite;
// what the framework and the database can do at most, on this machine, with nothing of ours in the way.
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import pg from 'pg';
import { serveChildTask } from './children.js';

export interface FixedBody {
  contentType: string;
  /** base64: the exact bytes. */
  body: string;
}

export interface CeilingInput {
  fixed: FixedBody[];
  insert: { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };
}

export const CEILING_TABLE = 'bench_ceiling_messages';
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${CEILING_TABLE} (
  message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id  bigint NOT NULL,
  text       text NOT NULL,
  pub_date   timestamptz NOT NULL DEFAULT now()
)`;
const INSERT = `INSERT INTO ${CEILING_TABLE} (author_id, text) VALUES ($1, $2)`;

async function openInsert(input: CeilingInput['insert']): Promise<(text: string) => Promise<unknown>> {
  if (input.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: input.url, max: input.poolSize });
    await pool.query(CREATE_TABLE);
    // Open every connection before the load starts, as our app's pool is warm.
    const clients = await Promise.all(Array.from({ length: input.poolSize }, () => pool.connect()));
    clients.forEach((client) => client.release());
    return (text) => pool.query(INSERT, [1, text]);
  }
  const pglite = await PGlite.create({ dataDir: input.dataDir });
  await pglite.exec(CREATE_TABLE);
  return (text) => pglite.query(INSERT, [1, text]);
}

async function listen(input: CeilingInput): Promise<{ origin: string }> {
  const insert = await openInsert(input.insert);
  const app = Fastify({ logger: false });
  input.fixed.forEach((fixed, index) => {
    const bytes = Buffer.from(fixed.body, 'base64');
    app.get(`/fixed/${index}`, (_request, reply) => reply.type(fixed.contentType).send(bytes));
  });
  app.post<{ Body: { content?: unknown } }>('/insert', async (request, reply) => {
    await insert(String(request.body.content));
    return reply.code(204).send();
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { origin: address };
}

serveChildTask('ready', listen);
