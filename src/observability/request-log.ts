// The one access-log line per request, in Elastic Common Schema field names (Fastify's own request lines
// are off: see log-controller.ts). It is built field by field from an allow-list, so headers, cookies and
// bodies, where secrets live, never reach it.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { REQUEST_ID_LOG_FIELD } from './log-controller.js';
import { isOperational, type RequestOutcome } from './request-metrics.js';

/** Query parameters never logged, whatever a client puts in a URL. */
const SECRET_PARAMS = /^(pwd|password2?|csrf_token|token|session|secret)$/i;

/** The query string with secret-looking parameters' values replaced, or undefined when there is none. */
function loggableQuery(url: string): string | undefined {
  const at = url.indexOf('?');
  if (at < 0 || at === url.length - 1) return undefined;
  const params = new URLSearchParams(url.slice(at + 1));
  for (const key of new Set(params.keys())) if (SECRET_PARAMS.test(key)) params.set(key, '[Redacted]');
  return params.toString();
}

/**
 * The signed-in user's id, when the web role has set one on the request. Read loosely on purpose: the web
 * role owns its session shape; `request.userId` and `request.user.userId`/`.id` are the spellings we accept.
 */
function userIdOf(request: FastifyRequest): string | undefined {
  const loose = request as unknown as { userId?: unknown; user?: { userId?: unknown; id?: unknown } | null };
  const id = loose.userId ?? loose.user?.userId ?? loose.user?.id;
  return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : undefined;
}

/**
 * The access line's logger: the app's, without pino's redaction, which cost a tenth of a cached read's time
 * (it walks every line for the `*.password` paths). Nothing here needs it: the line is built from the
 * allow-list above. One per app's logger, made once.
 */
const accessLoggers = new WeakMap<FastifyBaseLogger, FastifyBaseLogger>();
function accessLoggerOf(app: FastifyBaseLogger): FastifyBaseLogger {
  let logger = accessLoggers.get(app);
  if (!logger) accessLoggers.set(app, (logger = app.child({}, { redact: [] })));
  return logger;
}

export function logRequest(request: FastifyRequest, outcome: RequestOutcome): void {
  const { statusCode, durationSeconds, route, error } = outcome;
  // As the client sent it: a request Fastify refused is rerouted (src/http/framework-errors.ts).
  const url = request.originalUrl;
  const path = url.split('?')[0] ?? url;
  const query = loggableQuery(url);
  const userId = userIdOf(request);
  const durationMs = Math.round(durationSeconds * 1e4) / 10;
  const line = {
    [REQUEST_ID_LOG_FIELD]: request.id,
    event: {
      kind: 'event',
      category: ['web'],
      outcome: statusCode >= 400 ? 'failure' : 'success',
      duration: Math.round(durationSeconds * 1e9),
    },
    http: {
      request: { method: request.method },
      response: { status_code: statusCode },
      route,
    },
    url: { path, ...(query ? { query } : {}) },
    client: { ip: request.ip },
    ...(request.headers['user-agent'] ? { user_agent: { original: request.headers['user-agent'] } } : {}),
    ...(userId ? { user: { id: userId } } : {}),
    // The stack is logged once, by the role's error handler; this line only says what happened.
    ...(error ? { error: { type: error.name, message: error.message } } : {}),
  };
  const message = `${request.method} ${path} ${outcome.aborted ? 'aborted by client' : statusCode} ${durationMs} ms`;
  const log = accessLoggerOf(request.server.log);
  if (statusCode >= 500) log.error(line, message);
  else if (isOperational(request) && statusCode < 400) log.debug(line, message);
  else log.info(line, message);
}
