/** Small statistics over latency samples (milliseconds) for bench:net. */

/** Nearest-rank percentile (`p` in 0..100) of `sorted` (ascending); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Points (x, fraction of samples ≤ x) of the empirical CDF, one step per sample. */
export function cdfPoints(sorted: readonly number[], scale = 1): [number, number][] {
  const points: [number, number][] = [];
  sorted.forEach((value, index) => {
    if (index + 1 < sorted.length && sorted[index + 1] === value) return; // one point per distinct value
    points.push([value, ((index + 1) / sorted.length) * scale]);
  });
  return points;
}
