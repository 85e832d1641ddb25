import { describe, expect, test } from 'vitest';
import { formatScenario, parseScenario, type ScenarioAction } from '../../scripts/replay/scenario-file.js';
import { generateScenario } from '../../scripts/scenario/generate.js';

const big = generateScenario({ actions: 20_000, seed: 'properties' });

const share = (actions: readonly ScenarioAction[], kind: ScenarioAction['kind']) =>
  actions.filter((a) => a.kind === kind).length / actions.length;

describe('generateScenario', () => {
  test('is the same for the same seed and differs for another', () => {
    const text = (seed: string | number) => formatScenario(generateScenario({ actions: 500, seed }));
    expect(text(42)).toBe(text(42));
    expect(text('42')).toBe(text(42));
    expect(text(43)).not.toBe(text(42));
  });

  test('a user suffix gives every name, acting or followed, the suffix: no user shared with the plain scenario', () => {
    const names = (actions: ScenarioAction[]) =>
      new Set(
        actions.flatMap((a) => (a.kind === 'follow' || a.kind === 'unfollow' ? [a.user, a.other] : [a.user])),
      );
    const plain = names(generateScenario({ actions: 2_000, seed: 7 }));
    const suffixed = names(generateScenario({ actions: 2_000, seed: 7, userSuffix: ' rollback' }));
    expect(suffixed.size).toBe(plain.size);
    for (const name of suffixed) {
      expect(name.endsWith(' rollback')).toBe(true);
      expect(plain.has(name)).toBe(false);
      expect(plain.has(name.slice(0, -' rollback'.length))).toBe(true);
    }
  });

  test('mixes actions like the real scenario', () => {
    expect(share(big, 'register')).toBeGreaterThan(0.005);
    expect(share(big, 'register')).toBeLessThan(0.015);
    expect(share(big, 'tweet')).toBeCloseTo(0.44, 1);
    expect(share(big, 'follow')).toBeCloseTo(0.38, 1);
    expect(share(big, 'unfollow')).toBeCloseTo(0.17, 1);
    expect(big[0]!.kind).toBe('register');
  });

  test('only registered users act, follow and are followed; a quarter of unfollows are of someone not followed', () => {
    const registered = new Set<string>();
    const follows = new Map<string, Set<string>>();
    let unfollowsOfNotFollowed = 0;
    let unfollows = 0;
    for (const action of big) {
      if (action.kind === 'register') {
        expect(registered.has(action.user)).toBe(false);
        registered.add(action.user);
        follows.set(action.user, new Set());
        continue;
      }
      expect(registered.has(action.user)).toBe(true);
      if (action.kind === 'tweet') continue;
      expect(registered.has(action.other)).toBe(true);
      expect(action.other).not.toBe(action.user);
      const followed = follows.get(action.user)!;
      if (action.kind === 'follow') {
        expect(followed.has(action.other)).toBe(false);
        followed.add(action.other);
      } else {
        unfollows++;
        if (!followed.delete(action.other)) unfollowsOfNotFollowed++;
      }
    }
    expect(unfollowsOfNotFollowed / unfollows).toBeGreaterThan(0.15);
    expect(unfollowsOfNotFollowed / unfollows).toBeLessThan(0.35);
  });

  test('has names with spaces, some unusual ones, and tricky passwords and texts', () => {
    const registers = big.filter((a) => a.kind === 'register');
    expect(registers.every((a) => / /.test(a.user))).toBe(true);
    expect(registers.some((a) => /[^\x20-\x7e]/.test(a.user))).toBe(true);
    expect(registers.every((a) => /^[^@\s]+[+.-][^@\s]+@[a-z.]+$/u.test(a.email))).toBe(true);
    expect(registers.some((a) => /["'\\[\]{}]/.test(a.password))).toBe(true);
    const texts = big.flatMap((a) => (a.kind === 'tweet' ? [a.text] : []));
    expect(texts.some((t) => t.includes('“'))).toBe(true);
    expect(texts.some((t) => t.includes('<'))).toBe(true);
    expect(texts.some((t) => t.includes('&'))).toBe(true);
    expect(Math.max(...texts.map((t) => [...t].length))).toBeLessThanOrEqual(140);
  });

  test('ids count up from 0, timestamps advance by the delays, and the file reads back the same', () => {
    const actions = generateScenario({ actions: 2000, users: 30, seed: 1 });
    expect(actions.map((a) => a.id)).toEqual(actions.map((_, i) => i));
    expect(actions[0]!.delay).toBe(0);
    for (let i = 1; i < actions.length; i++) {
      expect(actions[i]!.delay).toBeGreaterThanOrEqual(0);
      expect(actions[i]!.timestamp).toBe(actions[i - 1]!.timestamp + actions[i]!.delay);
    }
    expect(actions.filter((a) => a.kind === 'register')).toHaveLength(30);
    expect(parseScenario(formatScenario(actions))).toEqual(actions);
  });
});
