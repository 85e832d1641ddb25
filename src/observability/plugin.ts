// What the apps expose for operators: health probes, Prometheus metrics, and one log line per request.
// A fastify-plugin (not encapsulated), so its hooks see every route the app registers after it.
// Metrics and the detailed readiness tell an attacker much (Node version, memory, counts, pool state):
// they are served by the internal operations app (src/operations/app.ts, on METRICS_HOST:METRICS_PORT), and
// on the public ports only to a scraper that sends METRICS_TOKEN. The public /readyz says only yes or no.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  /** METRICS_TOKEN: when set, /metrics is also served here, to `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function hasToken(request: FastifyRequest, token: string): boolean {
  const given = Buffer.from(/^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Serves the process's registry (both roles' metrics when they run together, told apart by `role`). */
export async function sendMetrics(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string | undefined,
): Promise<FastifyReply> {
  if (token !== undefined && !hasToken(request, token))
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ status: 401, error_msg: 'Metrics need the metrics token' });
  return reply.type(registry.contentType).send(await registry.metrics());
}

/** Ready: the database answers, and we are not shutting down. `detailed` adds the database's state. */
export async function readiness(db: Database, draining: boolean, detailed: boolean) {
  const answers = !draining && (await databaseAnswers(db));
  const status = draining ? 'draining' : answers ? 'ok' : 'unavailable';
  const details = detailed ? { draining, database: { kind: db.kind, answers, pool: db.poolStats() } } : {};
  const error = draining ? 'Shutting down' : 'The database does not answer';
  return {
    code: status === 'ok' ? 200 : 503,
    body: { status, ...(status === 'ok' ? {} : { error_msg: error }), ...details },
  };
}

export const observability = fp<ObservabilityOptions>(
  async (app, { role, db, metricsToken }) => {
    const unwatch = watchDatabase(db);
    app.addHook('onClose', async () => unwatch());
    let draining = false;
    app.decorate('startDraining', () => {
      draining = true;
    });

    app.decorateRequest('tracking', null);
    app.decorateRequest('failure', null);
    app.addHook('onRequest', async (request, reply) => {
      // The id this request is logged under, so a user's report can be matched to its log lines.
      reply.header('x-request-id', request.id);
      if (draining) reply.header('connection', 'close');
      trackRequest(request, reply, role, logRequest.bind(null, request));
    });
    app.addHook('onError', async (request, _reply, error) => rememberError(request, error));
    app.addHook('onResponse', async (request, reply) =>
      settleRequest(request, reply, role, logRequest.bind(null, request)),
    );

    // Alive: the process answers. Cheap enough for a probe every second; never touches the database.
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    // Ready: a balancer sends no traffic to a replica that says no. The same check as the
    // minitwit_database_up gauge, so the two never disagree; the details are on the internal port.
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const { code, body } = await readiness(db, draining, false);
      return reply.code(code).send(body);
    });
    if (metricsToken !== undefined)
      app.get('/metrics', { schema: { hide: true } }, (request, reply) =>
        sendMetrics(request, reply, metricsToken),
      );
  },
  { name: 'minitwit-observability' },
);
