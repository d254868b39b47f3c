import { randomUUID } from 'node:crypto';
import { Appender, type AppenderOptions } from './appender.js';
import type { Engine } from './engine.js';
import { AppenderClosed, Fenced, ReplayStalled } from './errors.js';
import type { Lease, Leases } from './leases.js';
import { encodeItems, type LogRecord } from './record.js';
import type { Snapshot } from './snapshots.js';

/** The partition state a member keeps (phase 2: one ShardState per partition). */
export interface PartitionState {
  /** Starts over from a snapshot's data, or empty when the partition has none. */
  restore(snapshot: Snapshot | null): void;
  /** Applies one record's items, in log order (replay and live appends alike). */
  apply(record: LogRecord): void;
}

export interface Opened {
  appender: Appender;
  /** Sequence of the snapshot loaded (0: none). */
  snapshotSeq: number;
  /** Records replayed after it. */
  replayed: number;
  /** Sequence of this owner's first (empty) record, which fences any earlier writer. */
  markerSeq: number;
  ms: number;
  /** Where the time went: reading the snapshot, replaying, appending the marker (a slow load says which). */
  phasesMs: { snapshot: number; replay: number; marker: number };
  /** Replays that stalled and were read on from their last record. */
  stalls: number;
}

/** A replay stalling more often than this fails the load (the coordinator gives the lease back and tries later). */
const MAX_REPLAY_STALLS = 3;

/**
 * Takes up a partition whose lease was just acquired: newest snapshot, replay of the rest of its
 * subject, then one empty record appended at once so that a paused former owner is fenced now
 * rather than at the next event (if one of its records lands in between, the marker is Fenced, and
 * replay continues from where it stopped). Returns the appender that serves it from there on.
 */
export async function openPartition(
  engine: Engine,
  leases: Leases,
  lease: Lease,
  state: PartitionState,
  opts: Pick<AppenderOptions, 'maxRecordBytes' | 'retryForMs' | 'onFailed'> = {},
): Promise<Opened> {
  const start = performance.now();
  const log = engine.partitionLog(lease.partition);
  const snapshot = await engine.snapshotStore().get(lease.partition);
  state.restore(snapshot);
  const phasesMs = { snapshot: performance.now() - start, replay: 0, marker: 0 };
  let last = snapshot?.seq ?? 0;
  let replayed = 0;
  let stalls = 0;
  const guard = leases.guard(lease);
  for (let attempt = 0; ; attempt++) {
    const replayStart = performance.now();
    for (;;) {
      try {
        for await (const record of log.replay(last)) {
          state.apply(record);
          last = record.seq;
          replayed++;
        }
        break;
      } catch (err) {
        // Every record yielded is applied: read on from the last one with a fresh consumer.
        if (!(err instanceof ReplayStalled) || ++stalls > MAX_REPLAY_STALLS) throw err;
      }
    }
    const markerStart = performance.now();
    phasesMs.replay += markerStart - replayStart;
    try {
      const markerSeq = await log.store(encodeItems([]), {
        expected: last,
        msgId: `open-${randomUUID()}`,
        owner: lease.owner,
        retryUntil: performance.now() + (opts.retryForMs ?? 30_000),
        guard,
      });
      phasesMs.marker += performance.now() - markerStart;
      const appender = new Appender(log, { ...opts, expected: markerSeq, owner: lease.owner, guard, onStored: (r) => state.apply(r) });
      return { appender, snapshotSeq: snapshot?.seq ?? 0, replayed, markerSeq, ms: performance.now() - start, phasesMs, stalls };
    } catch (err) {
      phasesMs.marker += performance.now() - markerStart;
      // A straggler of the former owner got in after the replay: read it too (a few times at most).
      if (!(err instanceof Fenced) || attempt >= 3) throw err;
    }
  }
}

/**
 * Graceful hand-over, once no new requests are routed to the partition: what is queued is appended,
 * then a snapshot of the state at the last record and the purge behind it, so the next owner
 * replays little. `data` serialises the partition state as of `appender.expected`; `purgeBefore`
 * (default: the snapshot's sequence) is where the purge of the log behind it stops.
 */
export async function closePartition(engine: Engine, appender: Appender, data: () => Uint8Array, purgeBefore?: number): Promise<Snapshot> {
  await appender.drained();
  appender.close();
  await appender.drained();
  if (appender.failed && !(appender.failed instanceof AppenderClosed)) throw appender.failed;
  const snapshot = { seq: appender.expected, data: data() };
  await engine.snapshotStore().storeAndPurge(appender.log, snapshot, purgeBefore);
  return snapshot;
}
