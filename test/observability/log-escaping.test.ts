// Logs are read in terminals (`docker logs`, `tail`, pino-pretty): whatever a client puts in a URL, a
// header or a message must not reach them as raw control characters (an escape sequence that clears or
// rewrites the screen, a C1 CSI, a right-to-left override that reverses what follows).
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { SIMULATOR_AUTH } from '../helpers/simulator.js';
import { startApp, type TestApp } from '../helpers/app.js';

/** C0 but newline and tab, DEL, C1, bidi controls, line and paragraph separators. */
const RAW_CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = 'ok\u001b[2J\u001b]0;owned\u0007 \u009b31m \u202Ereversed\u2066 \u2028next \r\bend';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, sink };
}

describe('JSON lines', () => {
  test('when a line holds control characters, then the raw line has none, and parses back to exactly what was logged', () => {
    const { lines, sink } = capture();
    const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, sink);
    logger.info({ url: { path: `/${HOSTILE}` }, [HOSTILE]: 1 }, `message ${HOSTILE}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(RAW_CONTROL);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect((parsed.url as { path: string }).path).toBe(`/${HOSTILE}`);
    expect(parsed.message).toBe(`message ${HOSTILE}`);
    expect(parsed[HOSTILE]).toBe(1);
  });

  describe('from the app', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp();
    });
    afterAll(() => t.close());

    test('when a request path, user agent and unknown user hold controls, then no log line carries them raw', async () => {
      const path = '/%E2%80%AEevil%C2%9B31m%1B%5B2J';
      // Header values may hold bytes 0x80-0xFF (latin1): the C1 range.
      const agent = 'agent \u009b31m \u0085 done';
      await t.web.inject({ method: 'GET', url: path, headers: { 'user-agent': agent } });
      await t.api.inject({
        method: 'GET',
        url: '/msgs/%E2%80%AEnobody%C2%9B',
        headers: { authorization: SIMULATOR_AUTH, 'user-agent': agent },
      });
      const raw = t.rawLogs();
      const mine = raw.filter((line) => line.includes('evil') || line.includes('nobody'));
      expect(mine.length).toBeGreaterThanOrEqual(2);
      for (const line of raw) expect(line).not.toMatch(RAW_CONTROL);
    });
  });
});

describe('pretty lines (a person at a terminal)', () => {
  test('when a line holds control characters, then they are shown as escapes, not sent to the terminal', async () => {
    const { lines, sink } = capture();
    const logger = createLogger({ logLevel: 'info', logFormat: 'pretty' }, sink);
    logger.info({ path: `/${HOSTILE}` }, `message ${HOSTILE}`);
    logger.flush();
    // pino-pretty writes on its own schedule: the line is waited for, not a time.
    await vi.waitFor(() => expect(lines.join('\n')).toContain('message ok'), {
      timeout: 20_000,
      interval: 10,
    });
    const output = lines.join('\n');
    expect(output).toContain('\\u001b[2J');
    expect(output).toContain('\\u202e');
    expect(output).toContain('\\u009b');
    // pino-pretty's own colours are the only escape sequences (SGR: ESC [ digits m) left.
    // eslint-disable-next-line no-control-regex -- ESC starts the colour sequences
    expect(output.replace(/\u001b\[[\d;]*m/g, '')).not.toMatch(RAW_CONTROL);
  });
});
