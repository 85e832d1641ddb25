// A minimal HTTP client for the replay: one request, one outcome, never a thrown error. By default every
// request opens its own connection and asks to close it, as the course's simulator does.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

export type HttpOutcome =
  | { kind: 'response'; status: number; body: string; latencyMs: number }
  | { kind: 'timeout'; latencyMs: number }
  | { kind: 'connection'; message: string; latencyMs: number };

export interface HttpClientOptions {
  baseUrl: URL;
  /** The whole `Authorization` header value. */
  authorization: string;
  keepAlive: boolean;
  /** Sockets kept per host when `keepAlive`; at least the replay's concurrency. */
  maxSockets: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path and query, already encoded, relative to the base URL's path. */
  path: string;
  body?: string;
  /**
   * How long to wait for the whole exchange, from opening the connection to the last byte of the reply,
   * before giving up (outcome `timeout`). Judging a slow reply is the caller's business.
   */
  giveUpMs: number;
}

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpOutcome>;
  close(): void;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const secure = options.baseUrl.protocol === 'https:';
  const transport = secure ? https : http;
  const agent = options.keepAlive
    ? new transport.Agent({ keepAlive: true, maxSockets: options.maxSockets })
    : undefined;
  const basePath = options.baseUrl.pathname.replace(/\/$/, '');

  const send = (request: HttpRequest): Promise<HttpOutcome> =>
    new Promise((resolve) => {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      let settled = false;
      const finish = (outcome: HttpOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
      const headers: Record<string, string | number> = {
        'Content-Type': 'application/json',
        Authorization: options.authorization,
      };
      if (!options.keepAlive) headers.Connection = 'close';
      if (body) headers['Content-Length'] = body.length;

      const req = transport.request(
        {
          protocol: options.baseUrl.protocol,
          hostname: options.baseUrl.hostname,
          port: options.baseUrl.port,
          method: request.method,
          path: basePath + request.path,
          headers,
          // `false` means a fresh connection per request, closed after the reply.
          agent: agent ?? false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            finish({
              kind: 'response',
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              latencyMs: elapsed(),
            }),
          );
          res.on('error', (error) =>
            finish({ kind: 'connection', message: error.message, latencyMs: elapsed() }),
          );
        },
      );
      const timer = setTimeout(() => {
        finish({ kind: 'timeout', latencyMs: elapsed() });
        req.destroy();
      }, request.giveUpMs);
      req.on('error', (error) =>
        finish({ kind: 'connection', message: describeError(error), latencyMs: elapsed() }),
      );
      req.end(body);
    });

  return { send, close: () => agent?.destroy() };
}

function describeError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/** GETs a JSON document; a non-2xx status, timeout or unparsable body is an Error. */
export async function getJson(client: HttpClient, path: string, timeoutMs: number): Promise<unknown> {
  const outcome = await client.send({ method: 'GET', path, giveUpMs: timeoutMs });
  if (outcome.kind === 'timeout') throw new Error(`GET ${path}: no reply within ${timeoutMs} ms`);
  if (outcome.kind === 'connection') throw new Error(`GET ${path}: ${outcome.message}`);
  if (outcome.status < 200 || outcome.status >= 300) {
    throw new Error(`GET ${path}: status ${outcome.status} ${outcome.body.slice(0, 200)}`);
  }
  try {
    return JSON.parse(outcome.body) as unknown;
  } catch {
    throw new Error(`GET ${path}: the reply is not JSON: ${outcome.body.slice(0, 200)}`);
  }
}
