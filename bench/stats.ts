/** A figure measured several times: the median is the figure, min and max show the spread. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function stat(runs: number[]): Stat {
  const sorted = runs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN, runs };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs };
}

/** Nearest-rank percentile of unsorted samples (sorts a copy). */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** `stat` over one field of each run's record. */
export function statOf<T>(runs: T[], pick: (r: T) => number): Stat {
  return stat(runs.map(pick));
}
