import { Packr } from 'msgpackr';
import type { InsightsQuery, InsightsResults } from '../shard/insights/messages.js';
import type { MovieRecord, TsColumn } from '../shard/insights/records.js';
import type { LatestPair, MoviePartial, PairView } from '../shard/state.js';

/** Frame kinds. Requests go front -> shard; replies carry the id of their request. */
export const Kind = {
  /** body: an IngestRecord, stored by the shard as it arrives; reply: Ack */
  Ingest: 1,
  /** body: a Query */
  Query: 2,
  /** shard -> front right after connecting: a Hello */
  Hello: 3,
  /** body: the accepted count of each batch of the IngestRecord, in order */
  Ack: 0x11,
  /** body: the query's result */
  Result: 0x12,
  /** body: a ShardFailure */
  Failure: 0x13,
} as const;

/** Plain msgpack (no record extension), so any process decodes any frame or log record alone. */
export const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/**
 * One request's events for one shard, flat for compactness:
 *   [receivedAtMs, idempotencyKey | null, user0, slug0, at0, user1, slug1, at1, ...]
 * optionally followed by one TsColumn (insights §5.1; see shard/insights/records.ts).
 * This is also the shard's log record format.
 */
export type IngestBatch = [number, string | null, ...(string | number | TsColumn)[]];

/**
 * What one ingest frame carries and one log record stores: the batches of every request the
 * front received for this shard in one event-loop turn. One frame, one write, one log put for
 * all of them; the shard logs the frame body without re-encoding it.
 */
export type IngestRecord = (IngestBatch | MovieRecord)[];

export type Query =
  | { op: 'user'; user: string }
  | { op: 'pair'; user: string; slug: string }
  | { op: 'userMovies'; user: string; limit: number }
  | { op: 'movies'; slugs: string[] }
  | { op: 'top'; k: number }
  | { op: 'status' }
  | { op: 'metrics' }
  | { op: 'snapshot' }
  | { op: 'latest'; n: number }
  | InsightsQuery;

export interface QueryResults extends InsightsResults {
  user: { watchTime: number; movies: number } | null;
  pair: PairView | null;
  userMovies: PairView[] | null;
  movies: MoviePartial[];
  top: { items: MoviePartial[]; complete: boolean };
  status: ShardStatus;
  metrics: ShardMetrics;
  snapshot: SnapshotStarted;
  latest: LatestPair[];
}

/** What /metrics and the dashboard read from a shard: its status plus process figures. */
export interface ShardMetrics extends ShardStatus {
  rssBytes: number;
  heapUsedBytes: number;
  /** batches logged and waiting for their commit */
  inflightBatches: number;
  uptimeSeconds: number;
}

/** Answer to 'snapshot': one was started (or is running); done when status.snapshotAt >= requestedAt. */
export interface SnapshotStarted {
  requestedAt: number;
  appliedSeq: number;
}

export interface ShardStatus {
  shard: number;
  pid: number;
  users: number;
  movies: number;
  pairs: number;
  logSeq: number;
  snapshotSeq: number;
  snapshotAt: number | null;
}

export interface Hello {
  shard: number;
  shards: number;
  pid: number;
}

export interface ShardFailure {
  /** 'unavailable' (retry later) or 'insufficient_storage' (disk or map full) */
  code: 'unavailable' | 'insufficient_storage' | 'bad_request';
  message: string;
}
