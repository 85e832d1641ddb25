// Prometheus metrics: one registry per process, shared by both roles when they run together.
// Every family here is documented for operators in deploy/README-operating.md; dashboards and alerts
// (deploy/grafana, deploy/prometheus) depend on these names and labels, so rename them all at once or not at all.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

// Node runtime: event-loop lag, heap, GC pauses, handles, CPU; unprefixed, as every Node dashboard expects.
collectDefaultMetrics({ register: registry });

export type BusinessEvent = 'user_registered' | 'message_posted' | 'followed' | 'unfollowed';
/** Which door served a request or made a change: the web pages or the simulator API. */
export type Source = 'web' | 'api';
/** The apps a process may run: the two public doors and the internal operations app. */
export type AppRole = Source | 'metrics';

/**
 * The course's simulator gives up on a reply after 0.3 s and counts it as an error, so the buckets are dense
 * around 0.3 s: a p99 of 0.25 versus 0.35 s must be told apart, a p99 of 3 versus 4 s need not be.
 */
const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1, 2.5, 5];
export const SIMULATOR_TIMEOUT_SECONDS = 0.3;

const businessEvents = new Counter({
  name: 'minitwit_business_events_total',
  help: 'Writes users made, by kind (user_registered, message_posted, followed, unfollowed) and source (web, api)',
  labelNames: ['event', 'source'] as const,
  registers: [registry],
});

const latestActionId = new Gauge({
  name: 'minitwit_simulator_latest_action_id',
  help: "The simulator's latest action id this process recorded",
  registers: [registry],
});

/** Labels of every request metric: `route` is the route template, never the raw path (bounded cardinality). */
const requestLabels = ['role', 'method', 'route', 'status_code'] as const;

export const httpRequests = new Counter({
  name: 'minitwit_http_requests_total',
  help: 'HTTP requests answered, by role, method, route template and status code (probes and /metrics excluded)',
  labelNames: requestLabels,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'minitwit_http_request_duration_seconds',
  help: 'Time from routing a request to the last byte of its reply, by role, method, route template and status code',
  labelNames: requestLabels,
  buckets: REQUEST_DURATION_BUCKETS,
  registers: [registry],
});

export const httpRequestsInFlight = new Gauge({
  name: 'minitwit_http_requests_in_flight',
  help: 'Requests received and not yet answered, by role',
  labelNames: ['role'] as const,
  registers: [registry],
});

/** See `statusErrorKind` in request-metrics.ts for what each kind means. */
export const httpErrors = new Counter({
  name: 'minitwit_http_errors_total',
  help:
    'Requests that went wrong, by role, method, route template and kind (bad_request, unauthorized, not_found, ' +
    'payload_too_large, request_timeout, client_error, server_error, unavailable, slow, aborted)',
  labelNames: ['role', 'method', 'route', 'kind'] as const,
  registers: [registry],
});

/** Counts one successful write; call it after the write is stored. */
export function countBusinessEvent(event: BusinessEvent, source: Source): void {
  businessEvents.inc({ event, source });
}

export function setLatestActionId(actionId: number): void {
  latestActionId.set(actionId);
}
