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

/** The empirical CDF of `sorted` sampled at each of `xs` (ascending): keeps plots small. */
export function cdfOnGrid(sorted: readonly number[], xs: readonly number[], scale = 1): [number, number][] {
  const points: [number, number][] = [];
  let below = 0;
  for (const x of xs) {
    while (below < sorted.length && sorted[below]! <= x) below++;
    points.push([x, sorted.length === 0 ? 0 : (below / sorted.length) * scale]);
  }
  return points;
}

/** `count` points from `from` to `to`, evenly spaced (linear) or evenly in log10 (log). */
export function grid(from: number, to: number, count: number, scale: 'linear' | 'log'): number[] {
  return Array.from({ length: count }, (_, i) => {
    const t = i / (count - 1);
    return scale === 'log'
      ? 10 ** (Math.log10(from) + t * (Math.log10(to) - Math.log10(from)))
      : from + t * (to - from);
  });
}

/** The least-squares line y = intercept + slope × x through `points`; null with fewer than two distinct x. */
export function leastSquares(
  points: readonly (readonly [number, number])[],
): { readonly intercept: number; readonly slope: number } | null {
  const xs = points.map(([x]) => x);
  const [meanX, meanY] = [mean(xs), mean(points.map(([, y]) => y))];
  const sxx = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  if (points.length < 2 || !(sxx > 0)) return null;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const slope = sxy / sxx;
  return { intercept: meanY - slope * meanX, slope };
}
