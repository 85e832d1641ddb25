// Boots the real API on a port and replays through real HTTP, as an operator would.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run as replay } from '../../scripts/commands/replay.js';
import type { ReplayReport } from '../../scripts/replay/report.js';
import type { TimedError } from '../../scripts/replay/stats.js';
import { formatScenario } from '../../scripts/replay/scenario-file.js';
import { generateScenario } from '../../scripts/scenario/generate.js';
import { startApi, type TestApp } from '../helpers/app.js';

let t: TestApp;
let url: string;
let dir: string;
beforeAll(async () => {
  t = await startApi();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function replayFile(name: string, text: string, ...extra: string[]) {
  const file = join(dir, name);
  writeFileSync(file, text);
  const out: string[] = [];
  const err: string[] = [];
  // A generous timeout: this checks correctness on a busy test machine, not speed.
  const args = ['--url', url, '--csv', file, '--timeout-ms', '20000', '--json', '--quiet', ...extra];
  const exitCode = await replay(args, { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
  return { exitCode, report: JSON.parse(out.join('\n')) as ReplayReport, text: err.join('\n') };
}

describe('replay against the real API', () => {
  test('a generated scenario replays at concurrency 4 with no error, the right /latest and end state', async () => {
    const actions = generateScenario({ actions: 300, users: 12, seed: 'e2e' });
    const { exitCode, report, text } = await replayFile(
      'generated.csv',
      formatScenario(actions),
      '--concurrency',
      '4',
    );
    expect(report.errors, text).toMatchObject({ total: 0, timeout: 0, connection: 0 });
    expect(report.actions.sent).toBe(300);
    expect(report.latest).toMatchObject({ ok: true, expected: 299, actual: 299 });
    expect(report.endState).toMatchObject({ ok: true, usersChecked: 12, mismatchCount: 0 });
    expect(report.ok).toBe(true);
    expect(exitCode).toBe(0);
    expect(text).toMatch(/assumes the database held none of the scenario's users/);
  }, 180_000);

  test('when a rate is given, then the actions are spread over at least actions / rate seconds, and all pass', async () => {
    const actions = generateScenario({ actions: 60, users: 4, seed: 'paced' });
    // 60 actions at 100 a second: the 60th starts no earlier than 0.59 s after the first (a lower bound
    // the pacing guarantees, whatever the machine's speed).
    const { exitCode, report, text } = await replayFile(
      'paced.csv',
      formatScenario(actions),
      '--rate',
      '100',
    );
    expect(report.errors, text).toMatchObject({ total: 0 });
    expect(report.durationSeconds).toBeGreaterThanOrEqual(0.59);
    expect(exitCode).toBe(0);
  }, 60_000);

  test('when the rate is not a positive integer, then the replay refuses it', async () => {
    const out: string[] = [];
    const exitCode = await replay(['--url', url, '--csv', join(dir, 'paced.csv'), '--rate', 'fast'], {
      out: (s) => out.push(s),
      err: (s) => out.push(s),
      env: {},
    });
    expect(exitCode).toBe(2);
    expect(out.join('\n')).toMatch(/--rate/);
  });

  test('actions of an unregistered user are counted as wrong-status errors, logged with --errors, and fail the run', async () => {
    const lines = [
      '1000\t0\t1\tregister\tErr Or\tErr+Or@x.dk\tp"w\\d',
      '1001\t0\t2\ttweet\tNo Body\thello',
      '1002\t0\t3\tfollow\tErr Or\tNo Body',
      '1003\t0\t4\tregister\tErr Or\tErr+Or@x.dk\tagain',
      '1004\t0\t5\ttweet\tErr Or\tstill “fine”',
    ];
    const errorLog = join(dir, 'errors.jsonl');
    const before = Date.now();
    const { exitCode, report } = await replayFile(
      'errors.csv',
      `${lines.join('\n')}\n`,
      '--concurrency',
      '2',
      '--errors',
      errorLog,
    );
    const logged = readFileSync(errorLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TimedError);
    expect(
      logged.map(({ id, action, user, error }) => ({ id, action, user, error })).sort((a, b) => a.id - b.id),
    ).toEqual([
      {
        id: 1001,
        action: 'tweet',
        user: 'No Body',
        error: expect.stringMatching(/^status 404: /) as unknown,
      },
      {
        id: 1002,
        action: 'follow',
        user: 'Err Or',
        error: expect.stringMatching(/^status 404: /) as unknown,
      },
    ]);
    for (const { sentAtMs, endedAtMs } of logged) {
      expect(sentAtMs).toBeGreaterThanOrEqual(before);
      expect(endedAtMs).toBeGreaterThanOrEqual(sentAtMs);
      expect(endedAtMs).toBeLessThanOrEqual(Date.now());
    }
    expect(report.errors.wrongStatus).toEqual({
      total: 2,
      byAction: { tweet: { 404: 1 }, follow: { 404: 1 } },
    });
    expect(report.errors.total).toBe(2);
    expect(report.errors.expectedFromScenario).toBe(2);
    expect(report.usernameTakenNotCounted).toBe(1);
    expect(report.latest).toMatchObject({ ok: true, actual: 1004 });
    expect(report.endState.ok).toBe(true);
    expect(report.ok).toBe(false);
    expect(exitCode).toBe(1);
  }, 60_000);

  test('a replay onto a database that already holds the users fails the end-state check', async () => {
    const text = '2000\t0\t1\tregister\tTwice Over\tT+O@x.dk\tpw\n2001\t0\t2\ttweet\tTwice Over\thi\n';
    expect((await replayFile('once.csv', text)).exitCode).toBe(0);
    const again = await replayFile('twice.csv', text);
    expect(again.report.errors.total).toBe(0);
    expect(again.report.endState.mismatches).toEqual([
      { user: 'Twice Over', problem: 'messages: expected 1, found 2' },
    ]);
    expect(again.exitCode).toBe(1);
  }, 60_000);
});
