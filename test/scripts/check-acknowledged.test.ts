// The acknowledged-writes log (npm run replay -- --acknowledged) and its check (npm run check-acknowledged),
// against the real API on a real database: a clean replay passes; a row deleted behind its back fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run as checkAcknowledged } from '../../scripts/commands/check-acknowledged.js';
import { run as replay } from '../../scripts/commands/replay.js';
import { durableState, parseWriteLog, type WriteRecord } from '../../scripts/replay/acknowledged.js';
import { formatScenario } from '../../scripts/replay/scenario-file.js';
import { generateScenario } from '../../scripts/scenario/generate.js';
import { startApi, type TestApp } from '../helpers/app.js';

let t: TestApp;
let dir: string;
let log: string;
let records: WriteRecord[];
beforeAll(async () => {
  t = await startApi();
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'acknowledged-test-'));
  const scenario = join(dir, 'scenario.csv');
  writeFileSync(scenario, formatScenario(generateScenario({ actions: 400, users: 10, seed: 'acked' })));
  log = join(dir, 'acknowledged.jsonl');
  const args = ['--url', url, '--csv', scenario, '--timeout-ms', '20000', '--concurrency', '4', '--quiet'];
  const code = await replay([...args, '--acknowledged', log], { out: () => {}, err: () => {}, env: {} });
  expect(code).toBe(0);
  records = parseWriteLog(readFileSync(log, 'utf8'));
}, 180_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function check(file = log) {
  const lines: string[] = [];
  const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s), env: {}, db: t.db };
  const code = await checkAcknowledged(['--file', file], io);
  return { code, text: lines.join('\n') };
}

const lastOf = <K extends WriteRecord['kind']>(kind: K) =>
  records.findLast((r) => r.kind === kind && r.acknowledged) as Extract<WriteRecord, { kind: K }>;

describe('the log of acknowledged writes', () => {
  test('holds one acknowledged line per write of the scenario, with what it wrote', () => {
    expect(records.length).toBeGreaterThan(300);
    expect(records.every((r) => r.acknowledged && r.status === 204)).toBe(true);
    const tweet = lastOf('tweet');
    expect(tweet.text.length).toBeGreaterThan(0);
    expect(lastOf('follow')).toMatchObject({ target: expect.any(String) as string });
    expect(new Set(records.map((r) => r.kind))).toEqual(new Set(['register', 'tweet', 'follow', 'unfollow']));
  });
});

describe('check-acknowledged', () => {
  test('passes on the database the replay wrote', async () => {
    const { code, text } = await check();
    expect(text).toMatch(/every acknowledged write is in the database/);
    expect(code).toBe(0);
  });

  test('fails, naming it, when an acknowledged message is deleted, and passes again once it is back', async () => {
    const tweet = lastOf('tweet');
    const [row] = await t.db.query<{ author_id: number; pub_date: Date }>(
      `DELETE FROM messages WHERE message_id = (SELECT m.message_id FROM messages m JOIN users u
         ON u.user_id = m.author_id WHERE u.username = $1 AND m.text = $2 LIMIT 1) RETURNING *`,
      [tweet.user, tweet.text],
    );
    expect(row).toBeDefined();
    const { code, text } = await check();
    expect(code).toBe(1);
    expect(text).toContain(`message by ${JSON.stringify(tweet.user)}`);
    expect(text).toMatch(/1 acknowledged writes are not in the database/);
    await t.db.query('INSERT INTO messages (author_id, text, pub_date) VALUES ($1, $2, $3)', [
      row!.author_id,
      tweet.text,
      row!.pub_date,
    ]);
    expect((await check()).code).toBe(0);
  });

  test('checks follows in their final state: a deleted follow and a revived unfollow both fail', async () => {
    const expected = durableState(records);
    const kept = expected.follows.find((pair) => pair.present)!;
    const dropped = expected.follows.find((pair) => !pair.present)!;
    const idOf = async (name: string) =>
      (await t.db.query<{ id: number }>('SELECT user_id AS id FROM users WHERE username = $1', [name]))[0]!
        .id;
    const [keptWho, keptWhom] = [await idOf(kept.user), await idOf(kept.target)];
    const [droppedWho, droppedWhom] = [await idOf(dropped.user), await idOf(dropped.target)];
    await t.db.query('DELETE FROM follows WHERE who_id = $1 AND whom_id = $2', [keptWho, keptWhom]);
    await t.db.query('INSERT INTO follows (who_id, whom_id) VALUES ($1, $2)', [droppedWho, droppedWhom]);
    const { code, text } = await check();
    expect(code).toBe(1);
    expect(text).toContain(
      `follow ${JSON.stringify(kept.user)} -> ${JSON.stringify(kept.target)}: acknowledged, missing`,
    );
    expect(text).toContain(
      `follow ${JSON.stringify(dropped.user)} -> ${JSON.stringify(dropped.target)}: unfollow acknowledged, still there`,
    );
    await t.db.query('INSERT INTO follows (who_id, whom_id) VALUES ($1, $2)', [keptWho, keptWhom]);
    await t.db.query('DELETE FROM follows WHERE who_id = $1 AND whom_id = $2', [droppedWho, droppedWhom]);
    expect((await check()).code).toBe(0);
  });

  test('a write that got no answer leaves the pair uncertain; a log that is not one is a usage failure', async () => {
    const file = join(dir, 'uncertain.jsonl');
    const lines: WriteRecord[] = [
      { id: 1, kind: 'register', user: 'Gone Girl', acknowledged: true, status: 204 },
      { id: 2, kind: 'follow', user: 'Gone Girl', target: 'Nobody', acknowledged: true, status: 204 },
      { id: 3, kind: 'unfollow', user: 'Gone Girl', target: 'Nobody', acknowledged: false, status: 502 },
    ];
    expect(durableState(lines)).toMatchObject({ follows: [], uncertainFollows: 1 });
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n'));
    const { code, text } = await check(file);
    expect(text).toContain('user "Gone Girl": missing');
    expect(text).toContain('1 pairs not checked');
    expect(code).toBe(1);
    writeFileSync(file, 'not json\n');
    expect(await check(file)).toMatchObject({ code: 2, text: expect.stringContaining('line 1: not JSON') });
  });
});
