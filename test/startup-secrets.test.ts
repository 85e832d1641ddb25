// A secret given to the process never shows in what it prints, even when it cannot start: a mistyped
// DATABASE_URL, an unreachable database, a secret that is too short.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';

const SERVER = new URL('../dist/src/server.js', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'minitwit-secrets-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
vi.setConfig({ testTimeout: 60_000 });

const PASSWORD = 'hunter2-do-not-print';

/** Runs the server until it exits (it cannot start), returning its exit code and everything it printed. */
function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      API_PORT: '0',
      METRICS_PORT: '1',
      DATA_DIR: dataDir,
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

test.each([
  ['a # in the password', `postgres://minitwit:${PASSWORD}#x@127.0.0.1:5432/minitwit`],
  ['a port that is not a number', `postgres://minitwit:${PASSWORD}@127.0.0.1:port/minitwit`],
  ['a missing colon after the scheme', `postgres//minitwit:${PASSWORD}@127.0.0.1/minitwit`],
  ['an unclosed IPv6 bracket', `postgres://minitwit:${PASSWORD}@[::1/minitwit`],
])(
  'when DATABASE_URL is mistyped (%s), then start fails naming it and the password is not printed',
  async (_typo, url) => {
    const { code, output } = await runServer({ DATABASE_URL: url, SESSION_SECRET: 'x'.repeat(40) });
    expect(code).toBe(2);
    expect(output).toMatch(/DATABASE_URL/);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain('hunter2');
  },
);

test('when the database in DATABASE_URL cannot be reached, then start fails and the password is not printed', async () => {
  const { code, output } = await runServer({
    DATABASE_URL: `postgres://minitwit:${PASSWORD}@127.0.0.1:1/minitwit`,
    SESSION_SECRET: 'x'.repeat(40),
  });
  expect(code).toBe(1);
  expect(output).toMatch(/failed to start/);
  expect(output).not.toContain('hunter2');
});

test('when a secret is too short, then start fails naming it and does not print it', async () => {
  const { code, output } = await runServer({ SESSION_SECRET: 'hunter2-short', METRICS_TOKEN: 'hunter2' });
  expect(code).toBe(2);
  expect(output).toMatch(/SESSION_SECRET|METRICS_TOKEN/);
  expect(output).not.toContain('hunter2');
});
