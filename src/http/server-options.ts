// Fastify options both roles share: logging, request ids, proxies, limits.
import { randomUUID } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
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

/** Loopback, link-local and private (unique-local) addresses: where a proxy in front of us lives. */
const PRIVATE_NETWORKS = new BlockList();
for (const [network, prefix, type] of [
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
] as const)
  PRIVATE_NETWORKS.addSubnet(network, prefix, type);

function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE_NETWORKS.check(mapped, 'ipv4');
  if (isIPv4(address)) return PRIVATE_NETWORKS.check(address, 'ipv4');
  return isIPv6(address) && PRIVATE_NETWORKS.check(address, 'ipv6');
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count alone would trust whoever connects, so a client reaching
 * the app directly could write its own X-Forwarded-For (Fastify 5.12 refuses plain counts for that
 * reason): here `n` trusts at most the nearest n hops, and only those on loopback or private addresses,
 * where the proxies of a container network or a host live. A list of addresses trusts exactly those.
 */
function trustProxyOption(
  trust: Config['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (address, hop) => hop < trust && isPrivateAddress(address) : trust;
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
