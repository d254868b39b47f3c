import type { ObjectStore } from '@nats-io/obj';
import { snapshotName } from './names.js';
import type { PartitionLog } from './partition-log.js';

export interface Snapshot {
  /** The log sequence the state covers: the last record applied (a record of the partition's subject). */
  seq: number;
  data: Uint8Array;
}

/**
 * Partition state snapshots in the object store (chunked, so state may outgrow a KV value), one
 * object per partition, replaced by each new one; the sequence it covers is in its metadata.
 */
export class Snapshots {
  constructor(private readonly os: ObjectStore) {}

  async put(partition: number, snapshot: Snapshot): Promise<void> {
    await this.os.putBlob({ name: snapshotName(partition), metadata: { seq: String(snapshot.seq) } }, snapshot.data);
  }

  /** The newest snapshot of the partition, or null when it has none. */
  async get(partition: number): Promise<Snapshot | null> {
    const info = await this.os.info(snapshotName(partition));
    if (!info || info.deleted) return null;
    const data = await this.os.getBlob(snapshotName(partition));
    if (data === null) return null;
    // The object read may be newer than the info read: both name one version only if read again.
    const again = await this.os.info(snapshotName(partition));
    if (!again || again.nuid !== info.nuid) return this.get(partition);
    const seq = Number(info.metadata?.seq);
    if (!Number.isSafeInteger(seq) || seq < 0)
      throw new Error(`snapshot of partition ${partition} has no valid sequence (metadata ${JSON.stringify(info.metadata)})`);
    return { seq, data };
  }

  /** The sequence the partition's newest snapshot covers, without reading it (0: none). */
  async seqOf(partition: number): Promise<number> {
    const info = await this.os.info(snapshotName(partition));
    if (!info || info.deleted) return 0;
    const seq = Number(info.metadata?.seq);
    return Number.isSafeInteger(seq) ? seq : 0;
  }

  /**
   * Stores the snapshot, then purges the partition's log before `purgeBefore` (default: the
   * snapshot's own sequence, keeping that record: the fence and the replay chain start from it).
   * A member passes the sequence of its previous snapshot instead, so the log behind the newest
   * snapshot survives one more round (see docs/cluster-design.md, Snapshots). Returns how many
   * records were purged.
   */
  async storeAndPurge(log: PartitionLog, snapshot: Snapshot, purgeBefore = snapshot.seq): Promise<number> {
    await this.put(log.partition, snapshot);
    return log.purgeBefore(Math.min(purgeBefore, snapshot.seq));
  }
}
