import { open, type Database, type RootDatabase } from 'lmdb';
import type { Config } from '../config.js';
import { shardDir } from '../data-dir.js';

/** The LMDB environment of one shard: the event log and the snapshots. */
export interface ShardStorage {
  env: RootDatabase;
  /** key: sequence number (1, 2, ...); value: one IngestBatch as msgpack bytes, stored as received */
  log: Database<Buffer, number>;
  /** key: the log sequence the snapshot covers; value: an encoded snapshot (see snapshot.ts) */
  snapshots: Database<Buffer, number>;
}

export function openStorage(config: Config, shard: number): ShardStorage {
  const env = open({
    path: shardDir(config.dataDir, shard),
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
