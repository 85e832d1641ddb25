import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../scripts/replay/scenario-file.js';
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import {
  basicAuthorization,
  judgeOutcome,
  pythonJson,
  SIMULATOR_AUTHORIZATION,
  simulatorRequest,
} from '../../scripts/replay/simulator-requests.js';

describe('simulator requests', () => {
  test("the simulator's credentials make its Authorization header, the very one the course's sends", () => {
    // The one place the tests spell the credentials out: the course's spec (simulator-api.md) says these.
    expect(COURSE_SIMULATOR_CREDENTIALS).toEqual({ username: 'simulator', password: 'super_safe!' });
    expect(SIMULATOR_AUTHORIZATION).toBe('Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh');
    expect(basicAuthorization('Zoë', 'pass:word')).toBe(`Basic ${btoa('Zo\xc3\xab:pass:word')}`);
  });

  test("bodies are what Python's json.dumps writes: spaced separators, non-ASCII escaped", () => {
    expect(pythonJson({ content: 'Say “hi” to Zoë 😀 \\ "x" <&>' })).toBe(
      '{"content": "Say \\u201chi\\u201d to Zo\\u00eb \\ud83d\\ude00 \\\\ \\"x\\" <&>"}',
    );
    expect(JSON.parse(pythonJson({ a: 'Zoë 😀', b: 'c' }))).toEqual({ a: 'Zoë 😀', b: 'c' });
  });

  test('each action becomes its request, with ?latest= and the username URL-encoded', () => {
    const [register, tweet, follow, unfollow] = parseScenario(
      [
        `7\t0\t1\tregister\tAnne+Marie O'Brien\ta@x\tp"\\`,
        "8\t0\t1\ttweet\tAnne+Marie O'Brien\t100% “sure”",
        "9\t0\t1\tfollow\t美咲 Sitts\tAnne+Marie O'Brien",
        "10\t0\t1\tunfollow\t美咲 Sitts\tAnne+Marie O'Brien",
      ].join('\n'),
    );
    expect(simulatorRequest(register!, 300)).toEqual({
      method: 'POST',
      path: '/register?latest=7',
      body: `{"username": "Anne+Marie O'Brien", "email": "a@x", "pwd": "p\\"\\\\"}`,
      giveUpMs: 300,
    });
    expect(simulatorRequest(tweet!, 300)).toMatchObject({
      path: "/msgs/Anne%2BMarie%20O'Brien?latest=8",
      body: '{"content": "100% \\u201csure\\u201d"}',
    });
    expect(simulatorRequest(follow!, 300)).toMatchObject({
      path: '/fllws/%E7%BE%8E%E5%92%B2%20Sitts?latest=9',
      body: `{"follow": "Anne+Marie O'Brien"}`,
    });
    expect(simulatorRequest(unfollow!, 300)).toMatchObject({ body: `{"unfollow": "Anne+Marie O'Brien"}` });
  });

  test('judging replies as the simulator does', () => {
    const reply = (status: number, body = '', latencyMs = 5) => ({
      kind: 'response' as const,
      status,
      body,
      latencyMs,
    });
    const taken = JSON.stringify({ status: 400, error_msg: 'The username is already taken' });
    expect(judgeOutcome('tweet', reply(204), 300)).toEqual({ kind: 'ok', latencyMs: 5 });
    expect(judgeOutcome('register', reply(400, taken), 300)).toEqual({
      kind: 'username-taken',
      latencyMs: 5,
    });
    expect(judgeOutcome('tweet', reply(400, taken), 300)).toMatchObject({
      kind: 'wrong-status',
      status: 400,
    });
    expect(judgeOutcome('tweet', reply(404, '{"status":404,"error_msg":"Unknown user: X"}'), 300)).toEqual({
      kind: 'wrong-status',
      status: 404,
      errorMessage: 'Unknown user: X',
      latencyMs: 5,
    });
    expect(judgeOutcome('follow', reply(204, '', 301), 300)).toEqual({
      kind: 'timeout',
      late: { status: 204, latencyMs: 301 },
    });
    expect(judgeOutcome('follow', { kind: 'timeout', latencyMs: 9000 }, 300)).toEqual({ kind: 'timeout' });
  });
});
