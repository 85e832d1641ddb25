// The operations app: what only the operators' tools may see, on its own address (METRICS_HOST, by
// default 127.0.0.1, and METRICS_PORT): Prometheus metrics of the whole process (both roles when they run
// together: one registry, one scrape), and the probes, /readyz with the database's details. Not the
// public web: publish or expose this port only to Prometheus and the orchestrator.
import Fastify, { type FastifyInstance } from 'fastify';
import { serverOptions, type Services } from '../http/server-options.js';
import { readiness, sendMetrics } from '../observability/plugin.js';

export async function buildOperationsApp(services: Services): Promise<FastifyInstance> {
  const { db, config } = services;
  const app = Fastify(serverOptions(services, 1024, 'metrics'));
  let draining = false;
  app.decorate('startDraining', () => {
    draining = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.setNotFoundHandler(async (_request, reply) =>
    reply
      .code(404)
      .send({ status: 404, error_msg: 'Not here: this port serves /metrics, /healthz and /readyz' }),
  );
  app.get('/metrics', (request, reply) => sendMetrics(request, reply, config.metricsToken));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { code, body } = await readiness(db, draining, true);
    return reply.code(code).send(body);
  });
  return app;
}
