// One measurement with the load tool (autocannon), in a process of its own: the same connections and
// duration for every endpoint, ours and the ceilings alike.
import { runInChild } from './children.js';

export interface LoadRequest {
  method: 'GET' | 'POST';
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  /** The server's origin, e.g. http://127.0.0.1:5001. */
  origin: string;
  /** Sent over and over, in this order, on every connection... */
  requests: LoadRequest[];
  /** ...unless given per connection: connection i sends perConnection[i % length], in order, over and over. */
  perConnection?: LoadRequest[][];
  connections: number;
  durationSeconds: number;
  /** The status a correct reply has (200, 204, 302): any other counts as unexpected. */
  expectedStatus: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Latencies in milliseconds. */
  p50: number;
  p99: number;
  max: number;
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** Replies with another status than the expected one. */
  unexpected: number;
  statuses: Record<string, number>;
  bytesPerSecond: number;
}

export function measureLoad(spec: LoadSpec): Promise<LoadResult> {
  return runInChild<LoadSpec, LoadResult>(
    new URL('./load-process.js', import.meta.url),
    spec,
    `load on ${spec.origin}`,
  );
}
