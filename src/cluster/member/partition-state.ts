import type { Config } from '../../config.js';
import type { IngestRecord } from '../../protocol/index.js';
import { applyRecord, decodeRecord } from '../../shard/apply-batch.js';
import { RecentRequests } from '../../shard/recent-requests.js';
import { decodeSnapshot, encodeSnapshot } from '../../shard/snapshot.js';
import { ShardState } from '../../shard/state.js';
import type { PartitionState } from '../partition-handoff.js';
import type { LogRecord } from '../record.js';
import type { Snapshot } from '../snapshots.js';

/**
 * One partition's state on its owner: a ShardState of its own (the users of the partition, their
 * movies' partial totals and the Idempotency-Keys of their requests), so everything a partition
 * knows moves with it. Log items are IngestRecords, exactly what a shard logs in embedded mode,
 * and are applied by the same applyRecord: one rule for both modes, and whatever the shard state
 * learns to apply, a partition applies too.
 */
export class ShardPartition implements PartitionState {
  state: ShardState;
  /** Events applied since the last snapshot (live appends and replay alike). */
  eventsSinceSnapshot = 0;
  /** The batches of items appended by this process, decoded once (the log holds the bytes). */
  private readonly decoded = new WeakMap<Uint8Array, IngestRecord>();
  /** What applying each of this process's items answered: the accepted count of each batch. */
  private readonly results = new WeakMap<Uint8Array, number[]>();

  constructor(private readonly config: Config) {
    this.state = emptyState(config);
  }

  restore(snapshot: Snapshot | null): void {
    if (!snapshot) {
      this.state = emptyState(this.config);
      return;
    }
    const bytes = Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength);
    const record = decodeSnapshot(bytes);
    this.state = ShardState.restore(record.state, this.config.watchMaxStep, recentRequests(this.config));
  }

  /** An item for the log, with its batches remembered so that applying it does not decode it again. */
  item(bytes: Uint8Array, batches: IngestRecord): Uint8Array {
    this.decoded.set(bytes, batches);
    return bytes;
  }

  apply(record: LogRecord): void {
    for (const item of record.items) {
      const mine = this.decoded.get(item);
      const accepted = applyRecord(this.state, mine ?? decodeRecord(item));
      for (const n of accepted) this.eventsSinceSnapshot += n;
      if (mine) this.results.set(item, accepted);
    }
  }

  /** Each batch's accepted count for an item this process appended, once it is stored and applied. */
  accepted(item: Uint8Array): number[] {
    const r = this.results.get(item);
    if (!r) throw new Error('item was acknowledged by the log but not applied');
    return r;
  }

  /** The state as a snapshot body (the embedded snapshot format: checksummed, columns as raw bytes). */
  serialise(seq: number): Uint8Array {
    this.eventsSinceSnapshot = 0;
    return encodeSnapshot({ seq, takenAt: Date.now(), state: this.state.snapshot() });
  }
}

function recentRequests(config: Config): RecentRequests {
  return new RecentRequests(config.dedupWindowMs, config.dedupMaxKeys);
}

function emptyState(config: Config): ShardState {
  return new ShardState(config.watchMaxStep, recentRequests(config));
}
