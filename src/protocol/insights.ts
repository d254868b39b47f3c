/**
 * Shard queries and answers for viewer insights (CONTRACT §5), the shard's side of the protocol.
 * Every answer is one shard's partial: the front merges them (sums per bucket or per t for
 * retention and series, sums completions like viewers; metadata is the same on every shard).
 * The catalogue PUT is not a query: it is a log record (records.ts), sent to every shard.
 */

/** One non-empty bucket of a time series (§5.4). */
export interface SeriesPoint {
  /** Bucket start, ms since the epoch (UTC). */
  t: number;
  watchTime: number;
  events: number;
}

export type SeriesStep = 'minute' | 'hour';
export const STEP_MS: Record<SeriesStep, number> = { minute: 60_000, hour: 3_600_000 };

// partitions (cluster mode): the partitions the member must answer for, or refuse (see cluster/member)
export type InsightsQuery =
  | { op: 'movie'; slug: string; partitions?: number[] }
  | { op: 'retention'; slug: string; partitions?: number[] }
  /** slug null: all movies. Buckets floor(from/step) .. floor(to/step), from/to in ms. */
  | { op: 'series'; slug: string | null; step: SeriesStep; from: number; to: number; partitions?: number[] }
  | { op: 'continueWatching'; user: string; limit: number };

export interface InsightsResults {
  /** null: this shard has neither metadata nor events for the slug */
  movie: MovieDetailPartial | null;
  retention: RetentionPartial | null;
  /** null: a slug this shard has neither metadata nor events for */
  series: SeriesPoint[] | null;
  /** null: a user this shard has never seen */
  continueWatching: ContinueItem[] | null;
}

/** §5.2 fields of a pair body, present only when the movie's duration is known. */
export interface PairProgress {
  progress?: number;
  completed?: boolean;
  resumeAt?: number;
}

/** §5.2 fields of a movie partial: completions when the duration is known, metadata when set. */
export interface MovieCatalogueFields {
  completions?: number;
  title?: string;
  duration?: number;
}

export interface MovieDetailPartial extends MovieCatalogueFields {
  slug: string;
  watchTime: number;
  viewers: number;
}

export interface RetentionPartial {
  slug: string;
  bucketSeconds: number;
  viewers: number;
  /** this shard's distinct users per bucket, from bucket 0 to its last non-zero one */
  buckets: number[];
  duration?: number;
}

export interface ContinueItem {
  slug: string;
  title?: string;
  resumeAt: number;
  progress: number;
  duration: number;
  updatedAt: number;
}
