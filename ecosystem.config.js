// pm2 apps of the service: one front (HTTP) and SHARDS shard processes (the instance index is the
// shard id). Loaded by `pm2-runtime ecosystem.config.js` after `npm run build`.
import { loadClusterConfig } from './dist/src/cluster/config.js';
import { loadConfig } from './dist/src/config.js';

const { shards } = loadConfig();
// Cluster mode (NATS_URL set): each shard process is a cluster member owning partitions (no LMDB).
const shardScript = loadClusterConfig() ? './dist/src/cluster/member/main.js' : './dist/src/shard/main.js';
// The processes take the same environment pm2 was started with; SHARDS is pinned so the front and
// every shard agree even where it was left to the default.
const env = {
  SHARDS: String(shards),
  // uWebSockets.js refuses request heads over 4 KiB that arrive in several reads (431); a pair
  // query for two 256-character non-ASCII names percent-encodes to ~4.6 KB of path.
  UWS_HTTP_MAX_HEADERS_SIZE: process.env.UWS_HTTP_MAX_HEADERS_SIZE || '16384',
};
const common = {
  exec_mode: 'fork',
  autorestart: true,
  // Graceful stop drains and snapshots; pm2's default 1.6 s would SIGKILL mid-snapshot.
  kill_timeout: 18_000,
  restart_delay: 200,
  max_restarts: 1_000_000,
  min_uptime: 1000,
  node_args: ['--enable-source-maps'],
  merge_logs: true,
  env,
};

// glibc moves its mmap threshold up after large frees, so a snapshot's large transient buffers come
// back from the heap instead of fresh mappings and the heap never shrinks; a fixed threshold returns
// them to the OS (measured: shard RSS after 10M events on 1M pairs 769 -> 520 MB, same ingest rate).
const shardEnv = { ...env, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ || '131072' };

export const apps = [
  { ...common, name: 'wt-shard', script: shardScript, instances: shards, env: shardEnv },
  { ...common, name: 'wt-front', script: './dist/src/front/main.js', instances: 1 },
];
