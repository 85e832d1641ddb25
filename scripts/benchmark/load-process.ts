// The load generator's process (see load.ts): runs autocannon once and sends back its summary.
import autocannon from 'autocannon';
import { serveChildTask } from './children.js';
import type { LoadRequest, LoadResult, LoadSpec } from './load.js';

const asAutocannonRequest = (request: LoadRequest): autocannon.Request => ({
  method: request.method,
  path: request.path,
  ...(request.headers ? { headers: request.headers } : {}),
  ...(request.body === undefined ? {} : { body: request.body }),
});

async function measure(spec: LoadSpec): Promise<LoadResult> {
  let nextConnection = 0;
  const perConnection = spec.perConnection;
  const result = await autocannon({
    url: spec.origin,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: spec.requests.map(asAutocannonRequest),
    ...(perConnection
      ? {
          setupClient: (client: autocannon.Client) => {
            const own = perConnection[nextConnection++ % perConnection.length]!;
            client.setRequests(own.map(asAutocannonRequest));
          },
        }
      : {}),
  });
  const statuses = Object.fromEntries(
    Object.entries(
      (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {},
    ).map(([status, { count }]) => [status, Number(count)]),
  );
  const expected = statuses[String(spec.expectedStatus)] ?? 0;
  const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    unexpected: answered - expected,
    statuses,
    bytesPerSecond: result.throughput.average,
  };
}

serveChildTask('result', measure);
