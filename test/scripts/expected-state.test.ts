import { describe, expect, test } from 'vitest';
import { expectedEndState } from '../../scripts/replay/expected-state.js';
import { parseScenario } from '../../scripts/replay/scenario-file.js';

const scenario = (...rows: string[][]) =>
  parseScenario(rows.map((fields, id) => [id, 0, 1000 + id, ...fields].join('\t')).join('\n'));

describe('expectedEndState', () => {
  test('counts messages and follows of registered users, in order', () => {
    const state = expectedEndState(
      scenario(
        ['register', 'Ann Lee', 'a@x', 'p'],
        ['register', 'Bo Ek', 'b@x', 'p'],
        ['register', "Cé O'Neil", 'c@x', 'p'],
        ['tweet', 'Ann Lee', 'one'],
        ['tweet', 'Ann Lee', 'two'],
        ['follow', 'Ann Lee', 'Bo Ek'],
        ['follow', 'Ann Lee', 'Bo Ek'], // twice is once
        ['follow', 'Ann Lee', "Cé O'Neil"],
        ['unfollow', 'Ann Lee', "Cé O'Neil"],
        ['unfollow', 'Bo Ek', 'Ann Lee'], // not followed: nothing
        ['follow', 'Bo Ek', "Cé O'Neil"],
      ),
    );
    expect([...state.users.keys()]).toEqual(['Ann Lee', 'Bo Ek', "Cé O'Neil"]);
    expect(state.users.get('Ann Lee')).toEqual({ messages: 2, follows: new Set(['Bo Ek']) });
    expect(state.users.get('Bo Ek')).toEqual({ messages: 0, follows: new Set(["Cé O'Neil"]) });
    expect(state.users.get("Cé O'Neil")).toEqual({ messages: 0, follows: new Set() });
    expect(state.failingActions).toBe(0);
  });

  test('actions by or of unknown users change nothing and are counted as failing; a repeated register is not', () => {
    const state = expectedEndState(
      scenario(
        ['tweet', 'Ghost', 'boo'], // before any register
        ['register', 'Ann Lee', 'a@x', 'p'],
        ['follow', 'Ann Lee', 'Ghost'],
        ['follow', 'Ghost', 'Ann Lee'],
        ['register', 'Ann Lee', 'again@x', 'q'],
        ['tweet', 'Ann Lee', 'hi'],
      ),
    );
    expect([...state.users.keys()]).toEqual(['Ann Lee']);
    expect(state.users.get('Ann Lee')).toEqual({ messages: 1, follows: new Set() });
    expect(state.failingActions).toBe(3);
    expect(state.repeatedRegisters).toBe(1);
  });
});
