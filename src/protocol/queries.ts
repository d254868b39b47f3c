import type { InsightsQuery, InsightsResults } from './insights.js';
import type { LatestPair, MoviePartial, PairView, ShardTop, UserTotals } from './views.js';

export type Query =
  | { op: 'user'; user: string }
  | { op: 'pair'; user: string; slug: string }
  | { op: 'userMovies'; user: string; limit: number }
  // partitions (cluster mode): the partitions the member must answer for, or refuse (see cluster/member)
  | { op: 'movies'; slugs: string[]; partitions?: number[] }
  | { op: 'top'; k: number; partitions?: number[] }
  | { op: 'status' }
  | { op: 'metrics' }
  | { op: 'snapshot' }
  | { op: 'latest'; n: number }
  | InsightsQuery;

export interface QueryResults extends InsightsResults {
  user: UserTotals | null;
  pair: PairView | null;
  userMovies: PairView[] | null;
  movies: MoviePartial[];
  top: ShardTop;
  status: ShardStatus;
  metrics: ShardMetrics;
  snapshot: SnapshotStarted;
  latest: LatestPair[];
}

/** What /metrics and the dashboard read from a shard: its status plus process figures. */
export interface ShardMetrics extends ShardStatus {
  rssBytes: number;
  heapUsedBytes: number;
  /** ingest frames (one log record each) received and not yet committed, applied and acknowledged */
  uncommittedFrames: number;
  uptimeSeconds: number;
  /** Cluster mode: this member's ownership and log figures since it started. */
  cluster?: MemberMetrics;
}

/** What a cluster member's coordinator has done since it started: ownership changes. */
export interface CoordinatorStats {
  renewals: number;
  /** Renewals that got no answer (the lease is kept until its guard closes). */
  renewalsUnanswered: number;
  acquired: number;
  released: number;
  lost: number;
  /** Partitions given back after their appender failed (fenced, unconfirmed, lease ran out). */
  relinquished: number;
}

/** What a cluster member's partitions have done since the process started: loads and the log. */
export interface MemberStats {
  takeovers: number;
  replayedRecords: number;
  /** Time of the last load (snapshot + replay + marker), and the total over all loads. */
  lastLoadMs: number;
  loadMsTotal: number;
  fencedAppends: number;
  appendFailures: number;
  snapshots: number;
  snapshotFailures: number;
}

/** A cluster member's counters (see cluster/member): ownership changes, loads, the log. */
export interface MemberMetrics extends CoordinatorStats, MemberStats {
  member: string;
  /** Partitions it holds a lease on, and those of them loaded and serving. */
  owned: number;
  serving: number;
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
