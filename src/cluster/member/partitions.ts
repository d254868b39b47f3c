import type { Config } from '../../config.js';
import { logger } from '../../log.js';
import {
  eventShape,
  isMovieRecord,
  mergeMovie,
  mergeRetention,
  mergeSeries,
  mergePartials,
  packr,
  topMovies,
  compareNames,
  type IngestRecord,
  type LatestPair,
  type MemberStats,
  type MoviePartial,
  type Query,
  type QueryResults,
  type ShardFailure,
  type ShardTop,
} from '../../protocol/index.js';
import { decodeRecord } from '../../shard/apply-batch.js';
import type { Appender } from '../appender.js';
import type { PartitionHandler } from '../coordinator.js';
import type { Engine } from '../engine.js';
import { AppenderClosed, Fenced, NotOwner } from '../errors.js';
import type { Lease, Leases } from '../leases.js';
import { partitionOf } from '../names.js';
import { closePartition, openPartition } from '../partition-handoff.js';
import { ShardPartition } from './partition-state.js';

/** A partition this member holds a lease on. */
interface Owned {
  partition: number;
  lease: Lease;
  state: ShardPartition;
  appender: Appender | null;
  /** loading: snapshot + replay; serving: takes requests; closing: hand-over; gone: dropped. */
  status: 'loading' | 'serving' | 'closing' | 'gone';
  /** Sequence of the newest snapshot stored (or loaded), and of the one before it (where purges stop). */
  snapshotSeq: number;
  previousSnapshotSeq: number;
  snapshotAt: number;
  /** The snapshot being stored, if any: one at a time per partition, and a hand-over waits for it. */
  snapshotting: Promise<void> | null;
}

/** A request this member cannot answer now: the front answers 503 + Retry-After. */
export class PartitionUnavailable extends Error {
  readonly failure: ShardFailure;
  constructor(message: string) {
    super(message);
    this.failure = { code: 'unavailable', message };
  }
}

export interface PartitionsOptions {
  config: Config;
  engine: Engine;
  leases: Leases;
  member: string;
  /** Snapshot a partition after this many events applied since its last one ... */
  snapshotEveryEvents: number;
  /** ... or after this long with at least one. */
  snapshotEveryMs: number;
}

const SNAPSHOT_CONCURRENCY = 2;
/** A partition load (snapshot + replay + marker) taking longer is abandoned and retried later. */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * The partitions this member owns and serves (the coordinator's PartitionHandler): each is a
 * ShardState loaded from the engine (snapshot + replay) and fed by its appender. A request is
 * appended with the partition's fence, then applied, then acknowledged; a partition whose lease is
 * gone by this process's clock, whose appender failed, or that is being handed over answers 503.
 */
export class Partitions implements PartitionHandler {
  private readonly owned = new Map<number, Owned>();
  readonly stats: MemberStats = {
    takeovers: 0,
    replayedRecords: 0,
    lastLoadMs: 0,
    loadMsTotal: 0,
    fencedAppends: 0,
    appendFailures: 0,
    snapshots: 0,
    snapshotFailures: 0,
  };
  /** Called when the set of served partitions changes (the member record advertises it). */
  onChange: () => void = () => {};
  /** Called when a partition's appender failed: give the lease back, a later load rebuilds it from the log. */
  onRelinquish: (partition: number, why: string) => void = () => {};
  private snapshotTimer: NodeJS.Timeout | undefined;
  private snapshotsRunning = 0;

  constructor(private readonly o: PartitionsOptions) {}

  get partitions(): number {
    return this.o.engine.names.partitions;
  }

  /** Partitions loaded and taking requests now, ascending. */
  serving(): number[] {
    return [...this.owned.values()]
      .filter((e) => this.servable(e))
      .map((e) => e.partition)
      .sort((a, b) => a - b);
  }

  startSnapshots(): void {
    this.snapshotTimer = setInterval(() => this.snapshotDue(), 1000);
    this.snapshotTimer.unref();
  }

  stopSnapshots(): void {
    clearInterval(this.snapshotTimer);
  }

  // ---- PartitionHandler ------------------------------------------------------------------------

  async acquired(partition: number, lease: Lease): Promise<void> {
    const entry: Owned = {
      partition,
      lease,
      state: new ShardPartition(this.o.config),
      appender: null,
      status: 'loading',
      snapshotSeq: 0,
      previousSnapshotSeq: 0,
      snapshotAt: performance.now(),
      snapshotting: null,
    };
    this.owned.set(partition, entry);
    let opened;
    let timer: NodeJS.Timeout | undefined;
    try {
      const open = openPartition(this.o.engine, this.o.leases, lease, entry.state, { onFailed: (err) => this.failed(entry, err) });
      // A load that stalls (the engine unreachable mid-replay) must not hold the lease forever:
      // give up, the coordinator releases the lease and a later balance tries again.
      open.then(
        (late) => entry.status === 'gone' && late.appender.close(),
        () => {},
      );
      opened = await Promise.race([
        open,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`partition ${partition}: load not finished within ${LOAD_TIMEOUT_MS} ms`)), LOAD_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      if (this.owned.get(partition) === entry) this.owned.delete(partition);
      entry.status = 'gone';
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (this.owned.get(partition) !== entry || entry.status !== 'loading') {
      // Lost while loading: nothing was served from it.
      opened.appender.close();
      return;
    }
    entry.appender = opened.appender;
    entry.snapshotSeq = entry.previousSnapshotSeq = opened.snapshotSeq;
    entry.status = 'serving';
    this.stats.takeovers++;
    this.stats.replayedRecords += opened.replayed;
    this.stats.lastLoadMs = opened.ms;
    this.stats.loadMsTotal += opened.ms;
    const phases = Object.fromEntries(Object.entries(opened.phasesMs).map(([k, v]) => [k, Math.round(v)]));
    logger().info(
      {
        partition,
        owner: lease.owner,
        snapshotSeq: opened.snapshotSeq,
        replayed: opened.replayed,
        markerSeq: opened.markerSeq,
        ms: Math.round(opened.ms),
        phasesMs: phases,
        replayStalls: opened.stalls,
      },
      `partition ${partition} serving (snapshot ${opened.snapshotSeq} + ${opened.replayed} records replayed in ${Math.round(opened.ms)} ms: snapshot read ${phases.snapshot}, replay ${phases.replay}, marker ${phases.marker} ms${opened.stalls > 0 ? `; replay stalled ${opened.stalls}× and read on` : ''})`,
    );
    this.onChange();
  }

  async releasing(partition: number): Promise<void> {
    const entry = this.owned.get(partition);
    if (!entry) return;
    entry.status = 'closing';
    this.onChange();
    try {
      await entry.snapshotting;
      const appender = entry.appender;
      if (!appender) return;
      // Requests appended before this point are drained and acknowledged; newer ones got 503.
      const snap = await closePartition(this.o.engine, appender, () => entry.state.serialise(appender.expected), entry.snapshotSeq);
      logger().info({ partition, snapshotSeq: snap.seq, owner: entry.lease.owner }, `partition ${partition} handed over at snapshot ${snap.seq}`);
    } finally {
      if (this.owned.get(partition) === entry) this.owned.delete(partition);
      entry.status = 'gone';
    }
  }

  lost(partition: number, why: string): void {
    const entry = this.owned.get(partition);
    if (!entry) return;
    this.owned.delete(partition);
    entry.status = 'gone';
    entry.appender?.close(new NotOwner(partition, why));
    logger().warn({ partition, owner: entry.lease.owner, why }, `partition ${partition} lost: ${why}; no longer served here`);
    this.onChange();
  }

  /** The appender stopped for good: drop the state (it is rebuilt from the log by whoever loads it next). */
  private failed(entry: Owned, err: Error): void {
    if (entry.status === 'closing' && err instanceof AppenderClosed) return; // our own hand-over
    if (this.owned.get(entry.partition) !== entry) return; // already dropped (lost, closed)
    this.owned.delete(entry.partition);
    entry.status = 'gone';
    if (err instanceof Fenced) this.stats.fencedAppends++;
    else this.stats.appendFailures++;
    logger().warn({ partition: entry.partition, owner: entry.lease.owner, err }, `partition ${entry.partition} stopped: ${err.message}`);
    this.onChange();
    this.onRelinquish(entry.partition, err.message);
  }

  // ---- requests ----------------------------------------------------------------------------------

  private servable(e: Owned | undefined): e is Owned & { appender: Appender } {
    return !!e && e.status === 'serving' && !!e.appender && !e.appender.failed && this.o.leases.remainingMs(e.lease) > 0;
  }

  private serve(partition: number): Owned & { appender: Appender } {
    const e = this.owned.get(partition);
    if (this.servable(e)) return e;
    const why = !e
      ? 'is not owned by'
      : e.status === 'loading'
        ? 'is still loading on'
        : e.status === 'closing'
          ? 'is being handed over by'
          : 'is not served now by';
    throw new PartitionUnavailable(`partition ${partition} ${why} member ${this.o.member}`);
  }

  /**
   * One ingest frame (an IngestRecord whose batches each hold one partition's events, as the front
   * splits them): each partition's batches become one log item, appended with the partition's
   * fence, applied, then answered. Each batch is answered on its own: its accepted count, or a
   * failure when its partition is not served here (nothing of that batch is appended).
   */
  async ingest(body: Uint8Array): Promise<(number | ShardFailure)[]> {
    const batches = decodeRecord(body);
    const results: (number | ShardFailure)[] = new Array<number | ShardFailure>(batches.length).fill(0);
    const groups = new Map<number, number[]>();
    batches.forEach((batch, i) => {
      const p = this.partitionOfBatch(batch);
      if (typeof p === 'string') results[i] = { code: 'bad_request', message: p };
      else if (p >= 0) {
        let g = groups.get(p);
        if (!g) groups.set(p, (g = []));
        g.push(i);
      }
    });
    await Promise.all(
      [...groups].map(async ([p, indexes]) => {
        try {
          const e = this.serve(p);
          const part: IngestRecord = indexes.map((i) => batches[i]!);
          const item = e.state.item(packr.pack(part), part);
          await e.appender.append(item);
          const accepted = e.state.accepted(item);
          indexes.forEach((i, j) => (results[i] = accepted[j]!));
        } catch (err) {
          const failure = failureOf(err);
          for (const i of indexes) results[i] = failure;
        }
      }),
    );
    return results;
  }

  /**
   * A record addressed to one partition whatever it holds (Kind.PartitionIngest): a catalogue PUT
   * names no user, so the front sends it to every partition by number. Appended, applied and
   * answered like events.
   */
  async ingestInto(partition: number, record: IngestRecord): Promise<number | ShardFailure> {
    try {
      const e = this.serve(partition);
      const bytes = packr.pack(record);
      const item = e.state.item(bytes, decodeRecord(bytes));
      await e.appender.append(item);
      return e.state.accepted(item).reduce((a, b) => a + b, 0);
    } catch (err) {
      return failureOf(err);
    }
  }

  /** The partition of an event batch (-1 when it has no events), or why it cannot be taken. */
  private partitionOfBatch(batch: IngestRecord[number]): number | string {
    if (isMovieRecord(batch)) return 'a catalogue record names no user: send it to its partition (PartitionIngest)';
    const shape = eventShape(batch);
    if (typeof shape === 'string') return shape;
    const events = shape.events;
    if (events === 0) return -1;
    const p = partitionOf(batch[2] as string, this.partitions);
    for (let e = 1; e < events; e++) {
      if (partitionOf(batch[2 + 3 * e] as string, this.partitions) !== p)
        return 'a batch must hold the events of one partition (is the front on another PARTITIONS?)';
    }
    return p;
  }

  query(q: Query): QueryResults[Query['op']] | Promise<QueryResults[Query['op']]> {
    switch (q.op) {
      case 'user':
        return this.serve(partitionOf(q.user, this.partitions)).state.state.user(q.user);
      case 'pair':
        return this.serve(partitionOf(q.user, this.partitions)).state.state.pair(q.user, q.slug);
      case 'userMovies':
        return this.serve(partitionOf(q.user, this.partitions)).state.state.userMovies(q.user, q.limit);
      case 'movies':
        return mergePartials(this.servedFor(q.partitions).map((e) => e.state.state.movies(q.slugs)));
      case 'top':
        return this.top(q.k, this.servedFor(q.partitions));
      case 'latest':
        return this.latest(Math.max(0, Math.min(q.n, 1000)));
      // Viewer insights: a movie's partials merged over this member's partitions with the
      // front's own merge functions (their results are partials of the same shape again).
      case 'movie':
        return mergeMovie(this.servedFor(q.partitions).map((e) => e.state.state.movie(q.slug)));
      case 'retention': {
        const parts = this.servedFor(q.partitions).map((e) => e.state.state.retention(q.slug));
        const merged = mergeRetention(parts);
        const duration = parts.find((p) => p?.duration !== undefined)?.duration;
        return merged && (duration === undefined ? merged : { ...merged, duration });
      }
      case 'series':
        return mergeSeries(this.servedFor(q.partitions).map((e) => e.state.state.series(q.slug, q.step, q.from, q.to)));
      case 'continueWatching':
        return this.serve(partitionOf(q.user, this.partitions)).state.state.continueWatching(q.user, q.limit);
      case 'status':
      case 'metrics':
      case 'snapshot':
        throw new Error(`${q.op} is answered by the member`);
    }
  }

  /** The partitions a gathering query covers: exactly those asked for (all served here, or 503), or all served. */
  private servedFor(partitions: number[] | undefined): Owned[] {
    if (partitions) return partitions.map((p) => this.serve(p));
    return [...this.owned.values()].filter((e) => this.servable(e));
  }

  /**
   * This member's top-k by its partial totals over `parts`: the same exact threshold algorithm the
   * front runs over members, run here over partitions. `complete` is claimed only when fewer than
   * k movies came back (then there are no more).
   */
  private async top(k: number, parts: Owned[]): Promise<ShardTop> {
    const states = parts.map((e) => e.state.state);
    const items = await topMovies(
      k,
      (kk) => Promise.resolve(states.map((s) => s.top(kk))),
      (slugs) => Promise.resolve(states.map((s) => s.movies(slugs))),
    );
    return { items: items.map(({ slug, watchTime, viewers }): MoviePartial => ({ slug, watchTime, viewers })), complete: items.length < k };
  }

  private latest(n: number): LatestPair[] {
    const all = [...this.owned.values()].filter((e) => this.servable(e)).flatMap((e) => e.state.state.latest(n));
    all.sort((a, b) => b.updatedAt - a.updatedAt || compareNames(a.user, b.user));
    return all.slice(0, n);
  }

  /** Totals over the served partitions, for the member's status. */
  totals(): { users: number; movies: number; pairs: number; logSeq: number; snapshotSeq: number; snapshotAt: number | null } {
    let users = 0;
    let movies = 0;
    let pairs = 0;
    let logSeq = 0;
    let snapshotSeq = 0;
    for (const e of this.owned.values()) {
      if (!this.servable(e)) continue;
      users += e.state.state.userCount;
      movies += e.state.state.movieCount;
      pairs += e.state.state.pairCount;
      logSeq = Math.max(logSeq, e.appender.expected);
      snapshotSeq = Math.max(snapshotSeq, e.snapshotSeq);
    }
    return { users, movies, pairs, logSeq, snapshotSeq, snapshotAt: null };
  }

  /** Per partition: last record applied and newest snapshot (for /cluster and metrics). */
  detail(): { partition: number; status: Owned['status']; seq: number; snapshotSeq: number; events: number }[] {
    return [...this.owned.values()]
      .map((e) => ({
        partition: e.partition,
        status: e.status,
        seq: e.appender?.expected ?? 0,
        snapshotSeq: e.snapshotSeq,
        events: e.state.eventsSinceSnapshot,
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  // ---- snapshots ---------------------------------------------------------------------------------

  /** Snapshots every served partition now (the 'snapshot' query: `wt snapshot`). */
  snapshotAll(): void {
    for (const e of this.owned.values()) if (this.servable(e) && e.state.eventsSinceSnapshot > 0) void this.snapshot(e);
  }

  private snapshotDue(): void {
    const now = performance.now();
    for (const e of this.owned.values()) {
      if (this.snapshotsRunning >= SNAPSHOT_CONCURRENCY) return;
      if (!this.servable(e) || e.snapshotting || e.state.eventsSinceSnapshot === 0) continue;
      if (e.state.eventsSinceSnapshot >= this.o.snapshotEveryEvents || now - e.snapshotAt >= this.o.snapshotEveryMs) void this.snapshot(e);
    }
  }

  /**
   * Stores the partition's state at its last applied record, then purges the log before the
   * previous snapshot's sequence (not this one's: a former owner paused in the middle of storing a
   * snapshot may still replace this one with its older one, and its log must then still be there).
   */
  private snapshot(e: Owned & { appender: Appender }): Promise<void> {
    if (e.snapshotting) return e.snapshotting;
    const seq = e.appender.expected;
    const data = e.state.serialise(seq); // synchronous: exactly the state after `seq`
    const snapshots = this.o.engine.snapshotStore();
    this.snapshotsRunning++;
    e.snapshotting = (async () => {
      try {
        if (!this.servable(e)) return;
        await snapshots.put(e.partition, { seq, data });
        e.previousSnapshotSeq = e.snapshotSeq;
        e.snapshotSeq = seq;
        e.snapshotAt = performance.now();
        this.stats.snapshots++;
        if (this.servable(e)) await e.appender.log.purgeBefore(e.previousSnapshotSeq);
      } catch (err) {
        this.stats.snapshotFailures++;
        logger().error(
          { err, partition: e.partition, seq },
          `snapshot of partition ${e.partition} at ${seq} failed; the log still holds every record, the next one retries`,
        );
      } finally {
        this.snapshotsRunning--;
        e.snapshotting = null;
      }
    })();
    return e.snapshotting;
  }
}

/** An append's failure as the front should answer it: 503 (retry) for everything the log or the lease refused. */
function failureOf(err: unknown): ShardFailure {
  if (err instanceof PartitionUnavailable) return err.failure;
  if (err instanceof RangeError) return { code: 'bad_request', message: err.message };
  return { code: 'unavailable', message: err instanceof Error ? err.message : String(err) };
}
