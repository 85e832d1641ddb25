// What both roles expose for operators: health probes, Prometheus metrics, and one log line per request.
// Registered without encapsulation (skip-override, what fastify-plugin sets) so its hooks see every route
// the app registers after it, not only its own.
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/index.js';
import { databaseAnswers, watchDatabase } from './database-metrics.js';
import { registry, type Role } from './metrics.js';
import { logRequest } from './request-log.js';
import { rememberError, settleRequest, trackRequest } from './request-metrics.js';

export interface ObservabilityOptions {
  role: Role;
  db: Database;
}

export async function observability(app: FastifyInstance, { role, db }: ObservabilityOptions): Promise<void> {
  const unwatch = watchDatabase(db);
  app.addHook('onClose', async () => unwatch());

  app.addHook('onRequest', async (request, reply) => {
    // The id this request is logged under, so a user's report can be matched to its log lines.
    reply.header('x-request-id', request.id);
    trackRequest(request, reply, role, logRequest.bind(null, request, reply));
  });
  app.addHook('onError', async (request, _reply, error) => rememberError(request, error));
  app.addHook('onResponse', async (request, reply) =>
    settleRequest(request, reply, role, logRequest.bind(null, request, reply)),
  );

  // Alive: the process answers. Cheap enough for a probe every second; never touches the database.
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  // Ready: the database answers too; a load balancer sends no traffic to a replica that says no.
  // The same check as the minitwit_database_up gauge, so the probe and the dashboard never disagree.
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) =>
    (await databaseAnswers(db))
      ? { status: 'ok' }
      : reply.code(503).send({ status: 'unavailable', error_msg: 'The database does not answer' }),
  );
  // The whole process's registry: when both roles run in one process, either port serves the same metrics
  // (told apart by the `role` label), so Prometheus scrapes one of them (deploy/prometheus/prometheus.yml).
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

// Fastify reads these symbols (fastify-plugin sets the same ones): no encapsulation, and a readable name.
Object.assign(observability, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'minitwit-observability',
});
