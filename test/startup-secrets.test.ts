// A secret given to the process never shows in what it prints, even when it cannot start: a mistyped
// DATABASE_URL, an unreachable database, a secret that is too short.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { spawnServer } from './helpers/server-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'minitwit-secrets-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
vi.setConfig({ testTimeout: 60_000 });

const PASSWORD = 'hunter2-do-not-print';

/** Runs the server until it exits (it cannot start), returning its exit code and everything it printed. */
async function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const server = spawnServer({ PORT: '0', API_PORT: '0', METRICS_PORT: '1', DATA_DIR: dataDir, ...env });
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 45_000);
  const code = await server.exited;
  clearTimeout(timer);
  return { code, output: server.output() };
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
    SIMULATOR_USERNAME: 'simulator',
    SIMULATOR_PASSWORD: 'a-simulator-password',
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
