// What both roles expose for operators: health probes, Prometheus metrics, and one log line per request.
// A fastify-plugin (not encapsulated), so its hooks see every route the app registers after it.
import fp from 'fastify-plugin';
import type { Database } from '../db/index.js';
import { databaseAnswers, watchDatabase } from './database-metrics.js';
import { registry, type Source } from './metrics.js';
import { logRequest } from './request-log.js';
import { rememberError, settleRequest, trackRequest } from './request-metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Shutting down: from now on /readyz says no, so a balancer stops sending requests here, and every
     * reply closes its connection, so none is reused after the listener closes. Requests are still served.
     */
    startDraining(): void;
  }
}

export interface ObservabilityOptions {
  role: Source;
  db: Database;
}

export const observability = fp<ObservabilityOptions>(
  async (app, { role, db }) => {
    const unwatch = watchDatabase(db);
    app.addHook('onClose', async () => unwatch());
    let draining = false;
    app.decorate('startDraining', () => {
      draining = true;
    });

    app.addHook('onRequest', async (request, reply) => {
      // The id this request is logged under, so a user's report can be matched to its log lines.
      reply.header('x-request-id', request.id);
      if (draining) reply.header('connection', 'close');
      trackRequest(request, reply, role, logRequest.bind(null, request, reply));
    });
    app.addHook('onError', async (request, _reply, error) => rememberError(request, error));
    app.addHook('onResponse', async (request, reply) =>
      settleRequest(request, reply, role, logRequest.bind(null, request, reply)),
    );

    // Alive: the process answers. Cheap enough for a probe every second; never touches the database.
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    // Ready: the database answers too, and we are not shutting down; a balancer sends no traffic to a
    // replica that says no. The same check as the minitwit_database_up gauge, so the two never disagree.
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      if (draining) return reply.code(503).send({ status: 'draining', error_msg: 'Shutting down' });
      return (await databaseAnswers(db))
        ? { status: 'ok' }
        : reply.code(503).send({ status: 'unavailable', error_msg: 'The database does not answer' });
    });
    // The whole process's registry: when both roles run in one process, either port serves the same metrics
    // (told apart by the `role` label), so Prometheus scrapes one of them (deploy/prometheus/prometheus.yml).
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'minitwit-observability' },
);
