import { describe, expect, test } from 'vitest';
import { formatScenario, parseScenario, ScenarioFormatError } from '../../scripts/replay/scenario-file.js';

// Lines shaped like the course's file: spaces in names, quotes, backslashes and brackets in passwords,
// typographic quotes and a stray byte-order mark in texts.
const TRICKY = [
  '0\t0\t1582246860738\tregister\tRoger Histand\tRoger+Histand@hotmail.com\t]=)[X{Km{z',
  `1\t13700323\t1582260561061\tregister\tGeoffrey Stieff\tGeoffrey.Stieff@gmail.com\t-']S!{'`,
  '2\t5867164\t1582266428225\tregister\tWendell Ballan\tWendell-Ballan@gmail.com\t6cl_[\\',
  '3\t4\t1582266428229\tregister\tNathan Sirmon\tNathan+Sirmon@dtu.dk\tQm"oZ=.D0',
  '4\t3614448\t1582270042673\ttweet\tRoger Histand\t“Why not here,” said he—\uFEFFHolmes’s <b> & co.',
  '5\t305141\t1582270347814\tfollow\tGeoffrey Stieff\tRoger Histand',
  '6\t905006\t1582271252820\tunfollow\tWendell Ballan\tRoger Histand',
].join('\n');

describe('parseScenario', () => {
  test('reads every field verbatim, without unescaping anything', () => {
    const actions = parseScenario(`${TRICKY}\n`);
    expect(actions).toHaveLength(7);
    expect(actions[0]).toEqual({
      id: 0,
      delay: 0,
      timestamp: 1582246860738,
      kind: 'register',
      user: 'Roger Histand',
      email: 'Roger+Histand@hotmail.com',
      password: ']=)[X{Km{z',
    });
    expect(actions[1]).toMatchObject({ password: `-']S!{'` });
    expect(actions[2]).toMatchObject({ password: '6cl_[\\' });
    expect(actions[3]).toMatchObject({ password: 'Qm"oZ=.D0' });
    expect(actions[4]).toMatchObject({
      kind: 'tweet',
      text: '“Why not here,” said he—\uFEFFHolmes’s <b> & co.',
    });
    expect(actions[5]).toMatchObject({ kind: 'follow', user: 'Geoffrey Stieff', other: 'Roger Histand' });
    expect(actions[6]).toMatchObject({ kind: 'unfollow', user: 'Wendell Ballan', other: 'Roger Histand' });
  });

  test('accepts CRLF endings and blank lines, and stops at the limit', () => {
    const actions = parseScenario(`${TRICKY.replace(/\n/g, '\r\n')}\r\n\r\n`);
    expect(actions.map((a) => a.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(actions[2]).toMatchObject({ password: '6cl_[\\' });
    expect(parseScenario(TRICKY, 2).map((a) => a.id)).toEqual([0, 1]);
  });

  test('names the line of a malformed action', () => {
    expect(() => parseScenario('0\t0\t1\tregister\tA B\ta@b')).toThrow(ScenarioFormatError);
    expect(() => parseScenario('0\t0\t1\ttweet\tA B\thi\n1\tx\t1\ttweet\tA B\thi')).toThrow(/line 2: delay/);
    expect(() => parseScenario('0\t0\t1\tretweet\tA B\thi')).toThrow(/unknown action "retweet"/);
    expect(() => parseScenario('0\t0\t1\tfollow\tA B')).toThrow(/needs the other user/);
  });
});

describe('formatScenario', () => {
  test('writes what parseScenario reads, byte for byte', () => {
    const text = `${TRICKY}\n`;
    expect(formatScenario(parseScenario(text))).toBe(text);
  });

  test('refuses a field that would break the format', () => {
    const [tweet] = parseScenario('0\t0\t1\ttweet\tA B\thi');
    expect(() => formatScenario([{ ...tweet!, kind: 'tweet', text: 'two\nlines' }])).toThrow(
      ScenarioFormatError,
    );
  });
});
