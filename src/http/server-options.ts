// Fastify options both roles share: logging, request ids, proxies, limits.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { FastifyBaseLogger, FastifyHttpOptions } from 'fastify';
import { Ajv } from 'ajv';
import { REQUEST_TIMEOUT_MS, type Config } from '../config.js';
import type { ReadCache } from '../caching/read-cache.js';
import type { Database } from '../db/index.js';
import { MinitwitLogController } from '../observability/log-controller.js';
import type { AppRole } from '../observability/metrics.js';
import { clientErrorHandler, rerouteFrameworkError } from './framework-errors.js';

/** What every app is built from: the configuration, the started database, its read cache, the logger. */
export interface Services {
  config: Config;
  db: Database;
  cache: ReadCache;
  logger: FastifyBaseLogger;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function serverOptions(
  services: Services,
  bodyLimit: number,
  role: AppRole,
): FastifyHttpOptions<Server> {
  return {
    loggerInstance: services.logger,
    // Fastify's own request lines are off (what `disableRequestLogging: true` did; that flag is deprecated
    // and would also silence the default error handler): the observability plugin logs one ECS line per
    // request instead, and every line logged for a request carries its id as `http.request.id`.
    logController: new MinitwitLogController(),
    // Exactly the proxies TRUST_PROXY names (src/trust-proxy.ts: never a hop count, never every hop).
    trustProxy: services.config.trustProxy,
    bodyLimit,
    // Keep a proxy's or client's request id when it is sane, so a request can be followed across hops.
    // `requestIdHeader` stays off: with it set, Fastify takes the header verbatim and never asks genReqId,
    // so a client could put any text (newlines, markup) in our logs and response headers.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 1000 },
    connectionTimeout: 30_000,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: {
      // Node waits 60 s for a request's headers by default: time enough for slow-header clients to hold
      // connections (MAX_CONNECTIONS caps how many: buildApps sets it). Node looks for late ones every
      // connectionsCheckingInterval (30 s by default, which would let them stay up to 40 s).
      headersTimeout: services.config.headersTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // Malformed URLs and the like go through our hooks and error handlers too (framework-errors.ts).
    frameworkErrors: rerouteFrameworkError,
    clientErrorHandler: clientErrorHandler(role, services.logger),
  };
}

// Query strings arrive as text and are coerced ("no=20" is 20); JSON bodies are not: `{"content": 5}` is
// a wrongly typed field and gets a 400, not a silent "5".
const queryAjv = new Ajv({
  coerceTypes: 'array',
  useDefaults: true,
  removeAdditional: true,
  allErrors: false,
});
const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: true, allErrors: false });

export const validatorCompiler = ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
  (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema);
