// What the load checks (staleness, registrations, soak) share: simulator requests over fetch, and
// percentiles.
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';

const headers = { 'content-type': 'application/json', authorization: SIMULATOR_AUTHORIZATION };

export async function call(url: string, method: 'GET' | 'POST' = 'GET', body?: unknown) {
  const reply = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  return { status: reply.status, text };
}

/** Fails loudly when a request that must succeed does not. */
export async function must(url: string, method: 'GET' | 'POST', body: unknown, status: number) {
  const reply = await call(url, method, body);
  if (reply.status !== status)
    throw new Error(`${method} ${url}: ${reply.status} ${reply.text.slice(0, 200)}`);
  return reply;
}

export function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
