// The one percentile every tool reports.

/** Nearest-rank percentile of an ascending list (0 for an empty one). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** `values` sorted ascending (a copy). */
const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** How many, the median, the 99th percentile and the largest, to 0.01. */
export function percentiles(values: readonly number[]) {
  const sorted = ascending(values);
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? NaN),
  };
}
