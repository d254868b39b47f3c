import type { MovieDetailPartial, RetentionPartial, SeriesPoint } from './insights.js';

/**
 * How the shards' insights partials (CONTRACT §5) combine: users live on one shard each, so
 * viewers, completions and each retention bucket's distinct users add up across shards; series
 * add up per bucket start. Metadata (duration, title) is the same on every shard (a PUT goes to all).
 */

/** A movie's totals with its metadata; null when no shard has metadata or events for it. */
export function mergeMovie(parts: (MovieDetailPartial | null)[]): MovieDetailPartial | null {
  let out: MovieDetailPartial | null = null;
  for (const p of parts) {
    if (!p) continue;
    if (!out) {
      out = { ...p };
      continue;
    }
    out.watchTime += p.watchTime;
    out.viewers += p.viewers;
    if (p.completions !== undefined) out.completions = (out.completions ?? 0) + p.completions;
    if (out.duration === undefined && p.duration !== undefined) out.duration = p.duration;
    if (out.title === undefined && p.title !== undefined) out.title = p.title;
  }
  // With a duration, a movie nobody has watched yet has 0 completions (no shard had a pair to count).
  if (out && out.duration !== undefined) out.completions ??= 0;
  return out;
}

/** Positions past this many buckets are not tracked (§5.3). */
export const RETENTION_MAX_BUCKETS = 4096;

export interface Retention {
  slug: string;
  bucketSeconds: number;
  viewers: number;
  buckets: number[];
}

/**
 * A movie's retention curve: per-bucket sums, from bucket 0 to the last bucket any viewer's
 * counted steps reached, or to ceil(duration / B) − 1 when the duration is known and that is
 * further; at most RETENTION_MAX_BUCKETS entries. null when no shard knows the movie.
 */
export function mergeRetention(parts: (RetentionPartial | null)[]): Retention | null {
  let out: Retention | null = null;
  let duration: number | undefined;
  for (const p of parts) {
    if (!p) continue;
    out ??= { slug: p.slug, bucketSeconds: p.bucketSeconds, viewers: 0, buckets: [] };
    out.viewers += p.viewers;
    const b = out.buckets;
    const n = Math.min(p.buckets.length, RETENTION_MAX_BUCKETS);
    for (let i = 0; i < n; i++) b[i] = (b[i] ?? 0) + p.buckets[i]!;
    duration ??= p.duration;
  }
  if (!out) return null;
  if (duration !== undefined) {
    const length = Math.min(Math.ceil(duration / out.bucketSeconds), RETENTION_MAX_BUCKETS);
    while (out.buckets.length < length) out.buckets.push(0);
  }
  return out;
}

/** Per-bucket sums of the shards' series, ordered by t; null when no shard knows the movie. */
export function mergeSeries(parts: (SeriesPoint[] | null)[]): SeriesPoint[] | null {
  const known = parts.filter((p): p is SeriesPoint[] => p !== null);
  if (known.length === 0) return null;
  if (known.length === 1) return known[0]!;
  const byT = new Map<number, SeriesPoint>();
  for (const points of known) {
    for (const p of points) {
      const t = byT.get(p.t);
      if (t) {
        t.watchTime += p.watchTime;
        t.events += p.events;
      } else byT.set(p.t, { ...p });
    }
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}
