import type { Config } from '../config.js';
import { logger } from '../log.js';
import type { IngestRecord, Query, QueryResults, ShardMetrics, ShardStatus } from '../protocol/index.js';
import { applyRecord, decodeRecord } from './apply-batch.js';
import { encodeSnapshot } from './snapshot.js';
import type { ShardStorage } from './storage.js';
import type { ShardState } from './state.js';

interface Pending {
  seq: number;
  batches: IngestRecord;
  done: boolean;
  error: unknown;
  resolve: (accepted: number[]) => void;
  reject: (err: unknown) => void;
}

/**
 * One shard: log first, then memory. A batch is appended to the LMDB log (every frame of one
 * socket read in one transaction: group commit), and only once that commit is durable is it
 * applied to the in-memory state, in log order, and acknowledged. So memory never holds anything
 * the log does not, and replaying the log rebuilds exactly what was acknowledged.
 */
export class Shard {
  private queue: Pending[] = [];
  /** Received, sequenced, not yet in a transaction. */
  private uncommitted: { entry: Pending; record: Buffer }[] = [];
  private head = 0;
  private eventsSinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;
  snapshotSeq: number;
  snapshotAt: number | null;
  /** A failed snapshot is not fatal (the log still has everything): it is reported here. */
  onSnapshotError: (err: unknown) => void = (err) =>
    logger().error({ err, snapshotSeq: this.snapshotSeq }, 'snapshot failed; the log still holds every event, the next snapshot retries');

  constructor(
    readonly id: number,
    private readonly config: Config,
    private readonly storage: ShardStorage,
    readonly state: ShardState,
    /** Last sequence number used in the log. */
    private seq: number,
    snapshot: { seq: number; takenAt: number } | null,
  ) {
    this.snapshotSeq = snapshot?.seq ?? 0;
    this.snapshotAt = snapshot?.takenAt ?? null;
  }

  /**
   * Persists one IngestRecord (the batches of one frame) and applies it once durable; resolves
   * with each batch's accepted count. Retries are deduplicated when applied (applyRecord).
   */
  ingest(record: Buffer): Promise<number[]> {
    let batches: IngestRecord;
    try {
      batches = decodeRecord(record);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      const entry: Pending = { seq: ++this.seq, batches, done: false, error: null, resolve, reject };
      this.queue.push(entry);
      this.uncommitted.push({ entry, record });
      if (this.uncommitted.length === 1) queueMicrotask(() => this.commit());
    });
  }

  /**
   * Group commit: every frame of one socket read goes into one synchronous LMDB transaction,
   * committed (and, with DURABILITY=fsync, flushed) right after the read, on this thread. Frames
   * that arrive meanwhile wait in the socket and make the next transaction. Measured against
   * lmdb-js's asynchronous writes (a writer thread and two thread hand-offs per commit):
   * single-event ingest +15–19% with fsync and +18% without, batches +8% (BENCHMARKS.md).
   */
  private commit(): void {
    const frames = this.uncommitted;
    this.uncommitted = [];
    let error: unknown = null;
    try {
      this.storage.env.transactionSync(() => {
        for (const { entry, record } of frames) this.storage.log.putSync(entry.seq, record);
      });
    } catch (err) {
      error = err;
    }
    for (const { entry } of frames) this.settle(entry, error);
  }

  get inflight(): number {
    return this.queue.length - this.head;
  }

  private settle(entry: Pending, error: unknown): void {
    entry.done = true;
    entry.error = error;
    // Apply strictly in log order: a failed transaction's frames are rejected in their turn.
    while (this.head < this.queue.length && this.queue[this.head]!.done) {
      const next = this.queue[this.head++]!;
      if (next.error) {
        next.reject(next.error);
        continue;
      }
      const accepted = applyRecord(this.state, next.batches);
      for (const n of accepted) this.eventsSinceSnapshot += n;
      next.resolve(accepted);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    if (this.eventsSinceSnapshot >= this.config.snapshotEveryEvents) void this.snapshot().catch(this.onSnapshotError);
  }

  /** Sequence of the last applied record: everything up to it is in memory. */
  private get appliedSeq(): number {
    return this.head < this.queue.length ? this.queue[this.head]!.seq - 1 : this.seq;
  }

  /** Takes a snapshot now unless one is running or nothing changed since the last one. */
  snapshot(force = false): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const seq = this.appliedSeq;
    if (!force && seq === this.snapshotSeq) return Promise.resolve();
    const takenAt = Date.now();
    // The copy is synchronous, so it is exactly the state after `seq`.
    const bytes = encodeSnapshot({ seq, takenAt, state: this.state.snapshot() });
    this.eventsSinceSnapshot = 0;
    this.snapshotting = this.storage.snapshots
      .put(seq, bytes)
      .then(() => {
        this.snapshotSeq = seq;
        this.snapshotAt = takenAt;
        return this.prune();
      })
      .finally(() => {
        this.snapshotting = null;
      });
    return this.snapshotting;
  }

  /**
   * Keeps the two newest snapshots and the log after the older of them, so a damaged newest
   * snapshot can still be recovered from the one before plus the log.
   */
  private async prune(): Promise<void> {
    const keys = [...this.storage.snapshots.getKeys({ reverse: true })];
    if (keys.length < 2) return;
    const keep = keys[1]!;
    for (const old of keys.slice(2)) void this.storage.snapshots.remove(old);
    // In slices, each committed before the next, so a large prune does not stall ingest.
    for (;;) {
      const keys = [...this.storage.log.getKeys({ end: keep + 1, limit: 10_000 })];
      if (keys.length === 0) return;
      let last: Promise<boolean> = Promise.resolve(true);
      for (const key of keys) last = this.storage.log.remove(key);
      await last;
    }
  }

  /** Resolves when every batch received so far is settled. */
  async drain(): Promise<void> {
    while (this.inflight > 0) await new Promise((r) => setTimeout(r, 5));
  }

  query(q: Query): QueryResults[Query['op']] {
    switch (q.op) {
      case 'user':
        return this.state.user(q.user);
      case 'pair':
        return this.state.pair(q.user, q.slug);
      case 'userMovies':
        return this.state.userMovies(q.user, q.limit);
      case 'movies':
        return this.state.movies(q.slugs);
      case 'top':
        return this.state.top(q.k);
      case 'status':
        return this.status();
      case 'metrics':
        return this.metrics();
      case 'snapshot': {
        // Started now, finished asynchronously: the caller polls 'status' until snapshotAt >= requestedAt.
        const requestedAt = Date.now();
        void this.snapshot(true).catch(this.onSnapshotError);
        return { requestedAt, appliedSeq: this.appliedSeq };
      }
      case 'latest':
        return this.state.latest(Math.max(0, Math.min(q.n, 1000)));
      case 'movie':
        return this.state.movie(q.slug);
      case 'retention':
        return this.state.retention(q.slug);
      case 'series':
        return this.state.series(q.slug, q.step, q.from, q.to);
      case 'continueWatching':
        return this.state.continueWatching(q.user, q.limit);
    }
  }

  /** Status plus this process's figures, for /metrics and the dashboard. */
  metrics(): ShardMetrics {
    return {
      ...this.status(),
      rssBytes: process.memoryUsage.rss(),
      heapUsedBytes: process.memoryUsage().heapUsed,
      uncommittedFrames: this.inflight,
      uptimeSeconds: process.uptime(),
    };
  }

  status(): ShardStatus {
    return {
      shard: this.id,
      pid: process.pid,
      users: this.state.userCount,
      movies: this.state.movieCount,
      pairs: this.state.pairCount,
      logSeq: this.seq,
      snapshotSeq: this.snapshotSeq,
      snapshotAt: this.snapshotAt,
    };
  }
}
