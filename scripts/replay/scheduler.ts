// Runs scenario actions concurrently while keeping the end state the same as a one-by-one replay.
//
// Which orders matter: an action's outcome depends only on whether its users are registered and, for
// follow/unfollow, on the earlier follows/unfollows of the same pair. So it is enough that
//   - each user's actions stay in order (covers register -> tweet, and the follow/unfollow sequence
//     of a pair, which is always in the actor's own chain);
//   - a follow/unfollow of Y waits for Y's latest earlier register (so it does not get a 404 it
//     would not get in order);
//   - a register of Y waits for the earlier follows/unfollows of Y since Y's previous register (so
//     that a follow that fails in order with 404 still fails).
// Everything else (tweets of different users, follows of Y against Y's own tweets) may overlap.
import type { ScenarioAction } from './scenario-file.js';

/** For each action, the positions of earlier actions it must wait for. */
export function actionDependencies(actions: readonly ScenarioAction[]): number[][] {
  const lastActionOf = new Map<string, number>();
  const lastRegisterOf = new Map<string, number>();
  const targetingSinceRegister = new Map<string, number[]>();
  return actions.map((action, index) => {
    const dependencies = new Set<number>();
    const previous = lastActionOf.get(action.user);
    if (previous !== undefined) dependencies.add(previous);
    lastActionOf.set(action.user, index);
    if (action.kind === 'register') {
      for (const earlier of targetingSinceRegister.get(action.user) ?? []) dependencies.add(earlier);
      targetingSinceRegister.set(action.user, []);
      lastRegisterOf.set(action.user, index);
    } else if (action.kind === 'follow' || action.kind === 'unfollow') {
      const register = lastRegisterOf.get(action.other);
      if (register !== undefined) dependencies.add(register);
      const targeting = targetingSinceRegister.get(action.other) ?? [];
      targeting.push(index);
      targetingSinceRegister.set(action.other, targeting);
    }
    return [...dependencies];
  });
}

/**
 * Makes the last action wait for all the others, so that it is the last request the server records:
 * then `GET /latest` must be exactly its id, whatever the concurrency.
 */
export function withLastActionLast(dependencies: readonly number[][]): number[][] {
  const lastIndex = dependencies.length - 1;
  return dependencies.map((own, index) =>
    index === lastIndex ? Array.from({ length: lastIndex }, (_, earlier) => earlier) : [...own],
  );
}

/** A binary min-heap of positions: the earliest ready action goes first. */
class PositionHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const items = this.items;
    let child = items.push(value) - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (items[parent]! <= value) break;
      items[child] = items[parent]!;
      child = parent;
    }
    items[child] = value;
  }
  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const smaller = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[smaller]! >= last) break;
      items[parent] = items[smaller]!;
      parent = smaller;
    }
    items[parent] = last;
    return top;
  }
}

/**
 * Runs `run(position)` for every position, at most `concurrency` at once, each only after its
 * dependencies finished, earliest ready position first. `run` should report failures in its result
 * rather than reject; a rejection stops the scheduling and is passed on.
 */
export function runWithDependencies(
  dependencies: readonly number[][],
  concurrency: number,
  run: (position: number) => Promise<void>,
): Promise<void> {
  const total = dependencies.length;
  const waitingFor = dependencies.map((own) => own.length);
  const dependents: number[][] = dependencies.map(() => []);
  dependencies.forEach((own, position) => own.forEach((earlier) => dependents[earlier]!.push(position)));
  const ready = new PositionHeap();
  waitingFor.forEach((count, position) => count === 0 && ready.push(position));

  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let finished = 0;
    let failed = false;
    const startMore = () => {
      while (!failed && inFlight < concurrency && ready.size > 0) {
        const position = ready.pop()!;
        inFlight++;
        run(position).then(
          () => {
            inFlight--;
            finished++;
            for (const next of dependents[position]!) {
              const stillWaiting = waitingFor[next]! - 1;
              waitingFor[next] = stillWaiting;
              if (stillWaiting === 0) ready.push(next);
            }
            if (finished === total) resolve();
            else startMore();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
      if (!failed && inFlight === 0 && finished < total) {
        failed = true;
        reject(new Error('scheduler: dependencies form a cycle or name a later action'));
      }
    };
    if (total === 0) resolve();
    else startMore();
  });
}
