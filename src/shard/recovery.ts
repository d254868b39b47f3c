import { shardDir } from '../data-dir.js';
import type { Config } from '../config.js';
import { WtError } from '../errors.js';
import { applyRecord, decodeRecord } from './apply-batch.js';
import { RecentRequests } from './recent-requests.js';
import { decodeSnapshot, type SnapshotRecord } from './snapshot.js';
import { ShardState } from './state.js';
import type { ShardStorage } from './storage.js';

export interface Recovered {
  state: ShardState;
  /** Last log sequence seen: new records continue after it. */
  seq: number;
  snapshot: { seq: number; takenAt: number } | null;
  replayed: { records: number; events: number; ms: number };
  /** Snapshots that failed their checksum and were skipped, newest first. */
  skippedSnapshots: { seq: number; reason: string }[];
}

export class CorruptLog extends WtError {
  constructor(message: string) {
    super('log_corrupt', message);
  }
}

/** Rebuilds a shard's state: the newest intact snapshot, then every log record after it. */
export function recover(config: Config, shard: number, storage: ShardStorage): Recovered {
  const started = performance.now();
  const skippedSnapshots: Recovered['skippedSnapshots'] = [];
  let snapshot: SnapshotRecord | null = null;
  for (const { key, value } of storage.snapshots.getRange({ reverse: true })) {
    try {
      snapshot = decodeSnapshot(value);
      break;
    } catch (err) {
      skippedSnapshots.push({ seq: key, reason: (err as Error).message });
    }
  }
  const recent = new RecentRequests(config.dedupWindowMs, config.dedupMaxKeys);
  const state = snapshot
    ? ShardState.restore(snapshot.state, config.watchMaxStep, recent, config.insights)
    : new ShardState(config.watchMaxStep, recent, config.insights);
  let seq = snapshot?.seq ?? 0;
  let records = 0;
  let events = 0;
  for (const { key, value } of storage.log.getRange({ start: seq + 1 })) {
    try {
      for (const n of applyRecord(state, decodeRecord(value))) events += n;
    } catch (err) {
      throw new CorruptLog(`shard ${shard}: log record seq ${key} in ${shardDir(config.dataDir, shard)} cannot be decoded (${(err as Error).message})`);
    }
    seq = key;
    records++;
  }
  return {
    state,
    seq,
    snapshot: snapshot && { seq: snapshot.seq, takenAt: snapshot.takenAt },
    replayed: { records, events, ms: performance.now() - started },
    skippedSnapshots,
  };
}
