// The skew of a real social network, deterministic for a seed: popularity follows a Zipf law (a few users
// have very many followers and write very much, most have few), and so does how many people a user
// follows (some follow thousands, most a handful).
import type { SeededRandom } from '../scenario/random.js';

/** Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent. */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    exponent: number,
  ) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let rank = 0; rank < n; rank++) {
      total += 1 / (rank + 1) ** exponent;
      this.cumulative[rank] = total;
    }
  }

  sample(random: SeededRandom): number {
    const target = random.next() * this.cumulative[this.n - 1]!;
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! > target) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}

/**
 * A bijection of 0..n-1 (rank -> user index): i -> (a * i + b) mod n with a coprime to n, so that the
 * most popular users are spread over the id range rather than being the first ones inserted.
 */
export function permutation(n: number, random: SeededRandom): (rank: number) => number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  let a = 1 + random.int(Math.max(1, n - 1));
  while (gcd(a, n) !== 1) a = (a % (n - 1)) + 1;
  const b = random.int(n);
  return (rank) => Number((BigInt(a) * BigInt(rank) + BigInt(b)) % BigInt(n));
}

/**
 * How many users each user follows (by rank: rank 0 follows the most), Zipf-shaped, at most `cap` each,
 * adding up to about `total`.
 */
export function followCounts(users: number, total: number, cap: number, exponent = 0.9): Uint32Array {
  const most = Math.min(cap, users - 1);
  const target = Math.min(total, most * users);
  const sum = (scale: number) => {
    let s = 0;
    for (let rank = 0; rank < users; rank++) s += Math.min(most, scale / (rank + 1) ** exponent);
    return s;
  };
  let low = 0;
  let high = target + 1;
  for (let step = 0; step < 60; step++) {
    const middle = (low + high) / 2;
    if (sum(middle) < target) low = middle;
    else high = middle;
  }
  const counts = new Uint32Array(users);
  let given = 0;
  for (let rank = 0; rank < users; rank++) {
    counts[rank] = Math.floor(Math.min(most, high / (rank + 1) ** exponent));
    given += counts[rank]!;
  }
  // What rounding down left out goes one each to the users who follow the most and still can.
  for (let rank = 0; given < target && rank < users; rank++) {
    if (counts[rank]! < most) {
      counts[rank]!++;
      given++;
    }
  }
  return counts;
}
