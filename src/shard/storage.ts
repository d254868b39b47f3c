import { open, type Database, type RootDatabase } from 'lmdb';
import type { Config } from '../config.js';
import { shardDir } from '../data-dir.js';
import { WtError } from '../errors.js';
import type { ShardFailure } from '../protocol/index.js';

/** The LMDB environment of one shard: the event log and the snapshots. */
export interface ShardStorage {
  env: RootDatabase;
  /** key: sequence number (1, 2, ...); value: one IngestBatch as msgpack bytes, stored as received */
  log: Database<Buffer, number>;
  /** key: the log sequence the snapshot covers; value: an encoded snapshot (see snapshot.ts) */
  snapshots: Database<Buffer, number>;
}

/**
 * Opens a shard's environment: for the shard itself, or `readOnly` for tools (safe beside the
 * running shard: LMDB readers do not block its writer).
 */
export function openStorage(config: Config, shard: number, readOnly = false): ShardStorage {
  const path = shardDir(config.dataDir, shard);
  const env = readOnly
    ? open({ path, readOnly: true, maxDbs: 4, mapSize: config.lmdbMapBytes })
    : open({
        path,
        mapSize: config.lmdbMapBytes,
        // 'fsync': the commit promise resolves only once the data is on disk (no overlapping sync).
        overlappingSync: false,
        noSync: config.durability === 'commit',
        maxDbs: 4,
      });
  return {
    env,
    log: env.openDB<Buffer, number>({ name: 'log', encoding: 'binary' }),
    snapshots: env.openDB<Buffer, number>({ name: 'snapshots', encoding: 'binary' }),
  };
}

/** LMDB's MDB_MAP_FULL (the map is full), and the errno values of a full or failing disk. */
const MDB_MAP_FULL = -30792;
const NO_SPACE = new Set<number | string>([MDB_MAP_FULL, 28, 'ENOSPC', 5, 'EIO']);

/** A write to the shard's storage failed: `insufficient_storage` if space or the disk is the cause, else `unavailable`. */
export class StorageFailure extends WtError {
  declare readonly code: ShardFailure['code'];

  /** What the front is told (a Failure frame). */
  get failure(): ShardFailure {
    return { code: this.code, message: this.message };
  }
}

/**
 * Classifies an error from an LMDB write. lmdb-js gives native errors a numeric `code` (an errno
 * or an MDB_* value); a write that failed for lack of space is MDB_MAP_FULL, ENOSPC or, from its
 * write path, EIO. Errors without a code are matched on their message.
 */
export function storageFailure(err: unknown): StorageFailure {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const noSpace =
    typeof code === 'number' || typeof code === 'string' ? NO_SPACE.has(code) : /MDB_MAP_FULL|ENOSPC|No space|Input\/output error|EIO/i.test(message);
  if (noSpace) return new StorageFailure('insufficient_storage', `the shard could not write to its storage (disk full or failing: ${message})`);
  return new StorageFailure('unavailable', `the shard could not persist the events: ${message}`);
}
