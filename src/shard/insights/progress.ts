/** The settings of CONTRACT §5.2 and §5.3 a shard needs (from COMPLETE_RATIO, RESUME_MIN_RATIO, RETENTION_BUCKET_S). */
export interface InsightsConfig {
  /** A pair is completed when furthest >= completeRatio × duration. */
  completeRatio: number;
  /** resumeAt is `at` when resumeMinRatio × duration <= at < completeRatio × duration, else 0. */
  resumeMinRatio: number;
  /** Retention bucket width in seconds. */
  retentionBucketS: number;
}

export const DEFAULT_INSIGHTS: InsightsConfig = { completeRatio: 0.9, resumeMinRatio: 0.05, retentionBucketS: 30 };

/**
 * ratio × duration, lowered by a relative 1e-12: the float product can land an ulp above the exact
 * value (0.9 × 110 = 99.00000000000001), which would leave a viewer at exactly 90 % not completed.
 */
const ratioOf = (duration: number, ratio: number): number => ratio * duration * (1 - 1e-12);

/** The furthest position from which a pair counts as completed (Infinity without a duration). */
export function completeThreshold(duration: number, completeRatio: number): number {
  return duration === duration ? ratioOf(duration, completeRatio) : Infinity;
}

export interface Progress {
  progress: number;
  completed: boolean;
  resumeAt: number;
}

/**
 * A pair's §5.2 fields, computed at read time from its `at`, `furthest` and the movie's duration,
 * so setting or changing a duration applies to every pair at once. The shard's completion counts
 * use the same threshold (completeThreshold), so they always agree with `completed`.
 */
export function progressOf(at: number, furthest: number, duration: number, c: InsightsConfig): Progress {
  const threshold = completeThreshold(duration, c.completeRatio);
  const progress = furthest / duration;
  return {
    progress: progress < 1 ? progress : 1,
    completed: furthest >= threshold,
    resumeAt: ratioOf(duration, c.resumeMinRatio) <= at && at < threshold ? at : 0,
  };
}
