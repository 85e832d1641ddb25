// The real entry point as a process: what `npm start` runs (the suite's build step compiles it first).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { openTestDatabase } from './helpers/database.js';
import { spawnServer } from './helpers/server-process.js';
import { SIMULATOR_AUTH } from './helpers/simulator.js';
import { COURSE_SIMULATOR_CREDENTIALS } from '../src/api/simulator/credentials.js';

const COURSE = {
  SIMULATOR_USERNAME: COURSE_SIMULATOR_CREDENTIALS.username,
  SIMULATOR_PASSWORD: COURSE_SIMULATOR_CREDENTIALS.password,
};

const dataDir = mkdtempSync(join(tmpdir(), 'minitwit-server-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
// A test that fails midway must not leave its server running (and holding the data directory).
const started = new Set<ChildProcess>();
afterEach(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
});
// Each test starts real processes, which on a busy two-core machine can take tens of seconds.
vi.setConfig({ testTimeout: 120_000 });

async function startServer(env: Record<string, string>, nodeOptions: string[] = []) {
  const { child, output, exited, printed, ports } = spawnServer(
    // The course's simulator credentials, set as a deployment on a server database must (SIMULATOR_AUTH).
    { PORT: '0', API_PORT: '0', METRICS_PORT: '0', ...COURSE, ...env },
    nodeOptions,
  );
  started.add(child);
  // Until it listens (a first start runs initdb: seconds, far more on a loaded machine), or exits; the
  // operations app listens last.
  await printed(/api listening/);
  await printed(/metrics listening/);
  const { web, api, metrics } = ports();
  return { child, web, api, metrics, exited, output, printed };
}

const stop = (child: ChildProcess) => child.kill('SIGTERM');

test('when started with no DATABASE_URL, then it serves both roles on the embedded database, and a restart keeps the data', async () => {
  const env = { DATA_DIR: dataDir };
  const first = await startServer(env);
  expect(first.output()).toMatch(/web listening/);
  // As the simulator sends it: with its credentials (latest is recorded only for the simulator).
  const register = await fetch(`http://127.0.0.1:${first.api}/register?latest=42`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: SIMULATOR_AUTH },
    body: JSON.stringify({ username: 'kept', email: 'k@e', pwd: 'p' }),
  });
  expect(register.status).toBe(204);
  expect((await fetch(`http://127.0.0.1:${first.web}/healthz`)).status).toBe(200);
  stop(first.child);
  expect(await first.exited).toBe(0);
  expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);

  const second = await startServer(env);
  const latest = await (await fetch(`http://127.0.0.1:${second.api}/latest`)).json();
  expect(latest).toEqual({ latest: 42 });
  const again = await fetch(`http://127.0.0.1:${second.api}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'kept', email: 'k@e', pwd: 'p' }),
  });
  expect(again.status).toBe(400);
  stop(second.child);
  expect(await second.exited).toBe(0);
});

test('when SIGTERM arrives during requests, then they finish, new ones are refused, and it exits 0', async () => {
  const { url } = await openTestDatabase();
  const env: Record<string, string> = url
    ? { DATABASE_URL: url, MINITWIT_ROLE: 'api' }
    : { DATA_DIR: dataDir, MINITWIT_ROLE: 'api' };
  const server = await startServer(env);
  // Each request's headers and half its body are sent before the signal, the rest after: the server has
  // begun every one of them when it is told to stop, and must still finish them.
  const inFlight = Array.from({ length: 6 }, (_, i) => {
    const body = JSON.stringify({ username: `graceful ${i}`, email: `g${i}@x`, pwd: 'p' });
    const request = httpRequest({
      host: '127.0.0.1',
      port: server.api,
      path: '/register',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const status = new Promise<number | undefined>((resolve, reject) => {
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
    });
    request.write(body.slice(0, 10));
    return { request, rest: body.slice(10), status };
  });
  // The server has begun them all when its in-flight gauge (set as a request's headers are read) says so.
  const inFlightNow = async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${server.metrics}/metrics`)).text();
    return Number(/^minitwit_http_requests_in_flight\{role="api"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };
  await vi.waitFor(async () => expect(await inFlightNow()).toBe(6), { timeout: 60_000, interval: 50 });
  stop(server.child);
  expect(await server.printed(/shutting down/)).toBe(true);
  for (const { request, rest } of inFlight) request.end(rest);
  expect(await Promise.all(inFlight.map((r) => r.status))).toEqual([204, 204, 204, 204, 204, 204]);
  expect(await server.exited).toBe(0);
  expect(server.output()).toMatch(/shutdown complete/);
  await expect(fetch(`http://127.0.0.1:${server.api}/latest`)).rejects.toThrow();
});

test('when the embedded process is killed outright, then every write it acknowledged is there after a restart', async () => {
  const env = { DATA_DIR: dataDir, MINITWIT_ROLE: 'api' };
  const server = await startServer(env);
  const auth = { 'content-type': 'application/json', authorization: SIMULATOR_AUTH };
  const posted: string[] = [];
  for (let i = 0; i < 40; i++) {
    const reply = await fetch(`http://127.0.0.1:${server.api}/msgs/kept`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ content: `durable ${i}` }),
    });
    if (reply.status === 204) posted.push(`durable ${i}`);
  }
  expect(posted).toHaveLength(40);
  server.child.kill('SIGKILL');
  await server.exited;

  const restarted = await startServer(env);
  const messages = (await (
    await fetch(`http://127.0.0.1:${restarted.api}/msgs/kept?no=1000`, { headers: auth })
  ).json()) as {
    content: string;
  }[];
  expect(
    messages
      .map((m) => m.content)
      .filter((c) => c.startsWith('durable'))
      .sort(),
  ).toEqual([...posted].sort());
  stop(restarted.child);
  expect(await restarted.exited).toBe(0);
});

const FAIL_ON_SIGNAL = new URL('./helpers/fail-on-signal.mjs', import.meta.url).href;
const logLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test.each([
  ['exception', 'a test error nobody catches'],
  ['rejection', 'a test rejection nobody handles'],
])(
  'when an uncaught %s happens, then it is logged as fatal, the process shuts down and exits non-zero',
  async (kind, message) => {
    const { url } = await openTestDatabase();
    const env: Record<string, string> = url
      ? { DATABASE_URL: url, MINITWIT_ROLE: 'api', FAIL_WITH: kind }
      : { DATA_DIR: dataDir, MINITWIT_ROLE: 'api', FAIL_WITH: kind };
    const server = await startServer(env, ['--import', FAIL_ON_SIGNAL]);
    expect(server.output()).toMatch(/api listening/);
    server.child.kill('SIGWINCH');
    expect(await server.exited).toBe(1);
    const lines = logLines(server.output());
    const fatal = lines.find((line) => line['log.level'] === 'fatal');
    expect(fatal).toMatchObject({ message: 'uncaught error: shutting down' });
    expect(JSON.stringify(fatal)).toContain(message);
    expect(lines.some((line) => line.message === 'shutdown complete')).toBe(true);
  },
);

test('when a variable is wrong, then it refuses to start and names it', async () => {
  const server = await startServer({ DATA_DIR: dataDir, DB_POOL_SIZE: 'lots' });
  expect(await server.exited).toBe(2);
  expect(server.output()).toMatch(/DB_POOL_SIZE=lots/);
});
