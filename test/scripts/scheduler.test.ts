import { describe, expect, test } from 'vitest';
import { parseScenario } from '../../scripts/replay/scenario-file.js';
import {
  actionDependencies,
  runWithDependencies,
  withLastActionLast,
} from '../../scripts/replay/scheduler.js';

const scenario = (...rows: string[][]) =>
  parseScenario(rows.map((fields, id) => [id, 0, 1000 + id, ...fields].join('\t')).join('\n'));

describe('actionDependencies', () => {
  test("keeps each user's actions in order and a follow of Y behind Y's register", () => {
    const dependencies = actionDependencies(
      scenario(
        ['register', 'A', 'a@x', 'p'], // 0
        ['register', 'B', 'b@x', 'p'], // 1
        ['tweet', 'A', 'hi'], // 2: after 0
        ['tweet', 'B', 'hi'], // 3: after 1
        ['follow', 'A', 'B'], // 4: after 2 (A), 1 (B's register)
        ['tweet', 'B', 'again'], // 5: after 3 only; may overlap A's follow of B
        ['unfollow', 'A', 'B'], // 6: after 4, 1
      ),
    );
    expect(dependencies.map((d) => [...d].sort((x, y) => x - y))).toEqual([
      [],
      [],
      [0],
      [1],
      [1, 2],
      [3],
      [1, 4],
    ]);
  });

  test('a register waits for earlier follows of that name, so they fail as they would in order', () => {
    const dependencies = actionDependencies(
      scenario(
        ['register', 'A', 'a@x', 'p'], // 0
        ['follow', 'A', 'C'], // 1: C unknown yet: must stay a 404
        ['register', 'C', 'c@x', 'p'], // 2: after 1
        ['follow', 'A', 'C'], // 3: after 1 (A), 2 (C's register)
      ),
    );
    expect(dependencies.map((d) => [...d].sort((x, y) => x - y))).toEqual([[], [0], [1], [1, 2]]);
  });

  test('withLastActionLast makes the last action wait for all the others', () => {
    expect(withLastActionLast([[], [0], [], []])).toEqual([[], [0], [], [0, 1, 2]]);
  });
});

describe('runWithDependencies', () => {
  test('runs each action after its dependencies, never more than the concurrency at once', async () => {
    const dependencies = [[], [], [0], [1], [2, 3], [], [], [], [4]];
    const started: number[] = [];
    const finished = new Set<number>();
    let inFlight = 0;
    let mostInFlight = 0;
    await runWithDependencies(dependencies, 3, async (position) => {
      for (const earlier of dependencies[position]!) expect(finished.has(earlier)).toBe(true);
      started.push(position);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1 + ((position * 7) % 5)));
      inFlight--;
      finished.add(position);
    });
    expect(finished.size).toBe(dependencies.length);
    expect(mostInFlight).toBe(3);
    // The earliest ready action goes first.
    expect(started.slice(0, 3)).toEqual([0, 1, 5]);
  });

  test('passes on a rejection and reports a dependency that can never be met', async () => {
    await expect(
      runWithDependencies([[], []], 2, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    await expect(runWithDependencies([[1], [0]], 2, async () => undefined)).rejects.toThrow(/cycle/);
    await expect(runWithDependencies([], 2, async () => undefined)).resolves.toBeUndefined();
  });
});
