// Fastify options both roles share: logging, request ids, proxies, limits.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { Ajv } from 'ajv';
import type { Config, TrustProxy } from '../config.js';
import type { Database } from '../db/index.js';
import { MinitwitLogController } from '../observability/log-controller.js';
import type { Source } from '../observability/metrics.js';
import { clientErrorHandler, rerouteFrameworkError } from './framework-errors.js';

/** The apps a process may run: the two public roles and the internal operations app. */
export type AppRole = Source | 'metrics';

/** What every app is built from: the configuration, the started database, the process's logger. */
export interface Services {
  config: Config;
  db: Database;
  logger: FastifyBaseLogger;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function serverOptions(services: Services, bodyLimit: number, role: AppRole): FastifyServerOptions {
  return {
    loggerInstance: services.logger,
    // Fastify's own request lines are off (what `disableRequestLogging: true` did; that flag is deprecated
    // and would also silence the default error handler): the observability plugin logs one ECS line per
    // request instead, and every line logged for a request carries its id as `http.request.id`.
    logController: new MinitwitLogController(),
    trustProxy: trustProxyOption(services.config.trustProxy),
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
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // Malformed URLs and the like go through our hooks and error handlers too (framework-errors.ts).
    frameworkErrors: rerouteFrameworkError,
    clientErrorHandler: clientErrorHandler(role, services.logger),
  };
}

/** Fastify trusts the nearest `n` hops given a number; its types only say so for a function. */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
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
