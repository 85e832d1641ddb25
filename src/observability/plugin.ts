// What both roles expose for operators: health probes (and metrics).
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/index.js';

export interface ObservabilityOptions {
  role: 'web' | 'api';
  db: Database;
}

export async function observability(app: FastifyInstance, { db }: ObservabilityOptions): Promise<void> {
  // Alive: the process answers. Cheap enough for a probe every second; never touches the database.
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  // Ready: the database answers too; a load balancer sends no traffic to a replica that says no.
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', error_msg: 'The database does not answer' });
    }
  });
}
