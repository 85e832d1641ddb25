// Requests Fastify refuses before any route or hook sees them: a URL whose percent-encoding is not UTF-8
// (`/%ED%A0%80`), a path parameter over routerOptions.maxParamLength; and requests Node's HTTP parser
// refuses (malformed request line or headers, headers too large, a client too slow to send them).
// Fastify answers the first kind with its own JSON, without our hooks: no request id, no security
// headers, no log line, no metric. So they are routed again, to a path no route has, and the role's
// not-found handler (which asks `frameworkRefusal`) throws the right error: from there they go through
// every hook and the role's error handler like any other request, and the access log shows the URL the
// client sent. The second kind never becomes a request: it is counted, logged and answered here.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { httpErrors, type AppRole } from '../observability/metrics.js';

interface Refusal {
  status: number;
  message: string;
}

/** Matches no route of any role: one segment more than any parameterised route, and none is static. */
const REROUTED_PATH = '/.refused/by/the/framework';

const REFUSALS: Record<string, Refusal> = {
  FST_ERR_BAD_URL: {
    status: 400,
    message: 'The address is malformed: its percent-encoding is not valid UTF-8.',
  },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, message: 'The address is too long.' },
};

/**
 * The refusal rides on the raw request, which the rerouted request shares; `originalUrl` is where Fastify
 * itself keeps a rewritten request's URL, so `request.originalUrl` (the access log's) is the one sent.
 */
const REFUSAL = Symbol('minitwit.refusal');
type RefusedMessage = IncomingMessage & { [REFUSAL]?: Refusal; originalUrl?: string };

/** Fastify's `frameworkErrors` option. */
export function rerouteFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const raw: RefusedMessage = request.raw;
  raw[REFUSAL] = REFUSALS[error.code] ?? { status: 400, message: 'The request is malformed.' };
  raw.originalUrl = raw.url;
  raw.url = REROUTED_PATH;
  request.server.routing(raw, reply.raw);
}

/** Why Fastify refused this request, when it did: the not-found handler answers with it. */
export function frameworkRefusal(request: FastifyRequest): Refusal | undefined {
  return (request.raw as RefusedMessage)[REFUSAL];
}

const CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  HPE_HEADER_OVERFLOW: { status: 431, message: 'The request headers are too large' },
};

/** Fastify's `clientErrorHandler` option: what the default does, plus a request id, a log line and a metric. */
export function clientErrorHandler(role: AppRole, logger: FastifyBaseLogger) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = CLIENT_ERRORS[error.code ?? ''] ?? {
      status: 400,
      message: 'The request is not valid HTTP',
    };
    const requestId = randomUUID();
    if (role !== 'metrics') {
      const kind = status === 400 ? 'bad_request' : status === 408 ? 'request_timeout' : 'client_error';
      httpErrors.inc({ role, method: 'unparsed', route: 'unparsed', kind });
    }
    logger.info(
      {
        'http.request.id': requestId,
        event: { kind: 'event', category: ['web'], outcome: 'failure' },
        http: { response: { status_code: status } },
        client: { ip: socket.remoteAddress },
        error: { type: 'ClientError', code: error.code, message: error.message },
      },
      `unparsed request ${status}: ${message}`,
    );
    if (socket.writable) {
      const body = JSON.stringify({ status, error_msg: message });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
