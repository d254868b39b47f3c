/**
 * What the processes exchange: frame kinds, queries and their results, ingest batches, the
 * msgpack codec, the orderings, and how shard partials merge. Imports nothing else from src/:
 * front, transport, shard, ops and scripts all stand on it.
 */
export type { Backend, FrontBackend, ShardLink } from './backend.js';
export { packr } from './codec.js';
export { Kind, type Hello, type PartitionIngest, type ShardFailure } from './frames.js';
export type { IngestBatch, IngestRecord } from './ingest.js';
export {
  STEP_MS,
  type ContinueItem,
  type InsightsQuery,
  type InsightsResults,
  type MovieCatalogueFields,
  type MovieDetailPartial,
  type PairProgress,
  type RetentionPartial,
  type SeriesPoint,
  type SeriesStep,
} from './insights.js';
export { mergeMovie, mergeRetention, mergeSeries, RETENTION_MAX_BUCKETS, type Retention } from './insights-merge.js';
export { mergePartials, topMovies, topMoviesOf } from './merge.js';
export { byWatchTimeThenSlug, compareNames } from './order.js';
export { checkMovieRecord, eventBatch, eventShape, isMovieRecord, movieRecord, type MovieRecord, type TimedEvent, type TsColumn } from './records.js';
export type { CoordinatorStats, MemberMetrics, MemberStats, Query, QueryResults, ShardMetrics, ShardStatus, SnapshotStarted } from './queries.js';
export type { LatestPair, MoviePartial, PairView, ShardTop, UserTotals } from './views.js';
