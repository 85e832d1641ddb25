// Per-request bookkeeping both the metrics and the access log read: when a request started, how it ended.
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  httpErrors,
  httpRequestDuration,
  httpRequests,
  httpRequestsInFlight,
  SIMULATOR_TIMEOUT_SECONDS,
  type Source,
} from './metrics.js';

/** The label for requests no route matched: raw paths would be an unbounded label (scanners, typos). */
const UNMATCHED_ROUTE = 'unmatched';

/** nginx's code for "the client closed the connection before the reply": the simulator does at 0.3 s. */
const CLIENT_CLOSED_REQUEST = 499;

/** Probes and scrapes: counted in neither request metrics nor (below warn) the log, or they drown real traffic. */
const OPERATIONAL_ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'request_timeout'
  | 'payload_too_large'
  | 'client_error'
  | 'unavailable'
  | 'server_error'
  | 'slow'
  | 'aborted';

/** The kind of a failed status: what an operator would do differs (a client bug, an attack, our bug, an outage). */
function statusErrorKind(status: number): ErrorKind | undefined {
  if (status < 400) return undefined;
  if (status === 400) return 'bad_request';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 408) return 'request_timeout';
  if (status === 413) return 'payload_too_large';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

export interface RequestOutcome {
  route: string;
  statusCode: number;
  durationSeconds: number;
  aborted: boolean;
  error?: Error;
}

type Finish = (outcome: RequestOutcome) => void;

interface RequestState {
  startedAt: bigint;
  inFlight: boolean;
  settled: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** When this request started and whether it is settled (the observability plugin decorates it). */
    tracking: RequestState | null;
    /** The error a handler or hook threw, for the access line. */
    failure: Error | null;
  }
}

const routeOf = (request: FastifyRequest): string => request.routeOptions.url ?? UNMATCHED_ROUTE;
export const isOperational = (request: FastifyRequest): boolean => OPERATIONAL_ROUTES.has(routeOf(request));

/**
 * Starts tracking a request. It is settled exactly once: from onResponse when the reply was sent, or from
 * the connection closing first when the client gave up (Fastify runs no onResponse then).
 */
export function trackRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  role: Source,
  finish: Finish,
): void {
  const inFlight = !isOperational(request);
  request.tracking = { startedAt: process.hrtime.bigint(), inFlight, settled: false };
  if (inFlight) httpRequestsInFlight.inc({ role });
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) settleRequest(request, reply, role, finish, true);
  });
}

export function rememberError(request: FastifyRequest, error: Error): void {
  request.failure = error;
}

/** Records how the request ended, once; `aborted` when the client closed the connection before the reply. */
export function settleRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  role: Source,
  finish: Finish,
  aborted = false,
): void {
  const state = request.tracking;
  if (state?.settled) return;
  if (state) state.settled = true;
  if (state?.inFlight) httpRequestsInFlight.dec({ role });
  const error = request.failure;
  const outcome: RequestOutcome = {
    route: routeOf(request),
    statusCode: aborted ? CLIENT_CLOSED_REQUEST : reply.statusCode,
    // No state: the request failed before our onRequest hook ran (Fastify's own URL or header checks).
    durationSeconds: state
      ? Number(process.hrtime.bigint() - state.startedAt) / 1e9
      : reply.elapsedTime / 1e3,
    aborted,
    ...(error ? { error } : {}),
  };
  if (!isOperational(request)) recordRequestMetrics(role, request.method, outcome);
  finish(outcome);
}

function recordRequestMetrics(role: Source, method: string, outcome: RequestOutcome): void {
  const { route, statusCode, durationSeconds } = outcome;
  const labels = { role, method, route, status_code: String(statusCode) };
  httpRequests.inc(labels);
  httpRequestDuration.observe(labels, durationSeconds);
  const kinds: ErrorKind[] = [];
  const kind = outcome.aborted ? 'aborted' : statusErrorKind(statusCode);
  if (kind) kinds.push(kind);
  if (durationSeconds > SIMULATOR_TIMEOUT_SECONDS) kinds.push('slow');
  for (const k of kinds) httpErrors.inc({ role, method, route, kind: k });
}
