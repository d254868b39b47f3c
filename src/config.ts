import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { EX_CONFIG, WtError } from './errors.js';

/** Everything the service reads from the environment, parsed once. See README "Configuration". */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  shards: number;
  watchMaxStep: number;
  maxBodyBytes: number;
  maxBatch: number;
  /** How long the front waits for a shard to commit before answering 503. */
  ackTimeoutMs: number;
  /** Events a shard may have in flight (sent, not yet acknowledged) before the front sheds load. */
  maxInflightEvents: number;
  /** Take a snapshot after this many logged events ... */
  snapshotEveryEvents: number;
  /** ... or after this many ms with at least one new event. */
  snapshotEveryMs: number;
  /** 'fsync': acknowledge after the commit is on disk; 'commit': after it is in the OS page cache. */
  durability: 'fsync' | 'commit';
  /** Idempotency keys are remembered this long (by receive time) ... */
  dedupWindowMs: number;
  /** ... and at most this many per shard. */
  dedupMaxKeys: number;
  /** When set, POST /events needs `Authorization: Bearer <ingestToken>`. */
  ingestToken: string | undefined;
  /** When set, the query routes need `Authorization: Bearer <queryToken>`. */
  queryToken: string | undefined;
  /** Largest LMDB map per shard, in bytes. */
  lmdbMapBytes: number;
  /** Viewer insights (CONTRACT §5.2, §5.3): COMPLETE_RATIO, RESUME_MIN_RATIO, RETENTION_BUCKET_S. */
  insights: { completeRatio: number; resumeMinRatio: number; retentionBucketS: number };
  /** Origins whose browser scripts may call the API (CORS): `*`, a list, or null for no CORS at all. */
  corsOrigins: '*' | string[] | null;
}

/** A setting in the environment is invalid: the process stops with EX_CONFIG. */
export class ConfigError extends WtError {
  constructor(message: string) {
    super('config_invalid', message, EX_CONFIG);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function num(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** CORS_ORIGINS: unset or empty, `*`, or a comma-separated list of origins (`https://app.example.com`). */
function corsOrigins(raw: string | undefined): '*' | string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  if (raw.trim() === '*') return '*';
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const o of origins) {
    let origin: string | null = null;
    try {
      origin = new URL(o).origin;
    } catch {
      /* not a URL: reported below */
    }
    // A browser sends the origin exactly so: scheme://host[:port], no path, no trailing slash.
    if (origin !== o || origin === 'null') {
      throw new ConfigError(
        `CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (no path, no trailing slash), got ${JSON.stringify(o)}`,
      );
    }
  }
  return origins;
}

export function defaultShards(): number {
  return Math.max(2, availableParallelism());
}

export function loadConfig(env: Env = process.env): Config {
  const durability = env.DURABILITY ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'commit') {
    throw new ConfigError(`DURABILITY must be "fsync" or "commit", got ${JSON.stringify(durability)}`);
  }
  return {
    port: int(env, 'PORT', 8000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.DATA_DIR || './data'),
    shards: int(env, 'SHARDS', defaultShards(), 1, 1024),
    watchMaxStep: num(env, 'WATCH_MAX_STEP', 60, 0),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 1_048_576, 64),
    maxBatch: int(env, 'MAX_BATCH', 1000, 1),
    ackTimeoutMs: int(env, 'ACK_TIMEOUT_MS', 5000, 10),
    maxInflightEvents: int(env, 'MAX_INFLIGHT_EVENTS', 200_000, 1),
    snapshotEveryEvents: int(env, 'SNAPSHOT_EVERY_EVENTS', 1_000_000, 1),
    snapshotEveryMs: int(env, 'SNAPSHOT_EVERY_MS', 60_000, 100),
    durability,
    dedupWindowMs: int(env, 'DEDUP_WINDOW_MS', 10 * 60_000, 0),
    dedupMaxKeys: int(env, 'DEDUP_MAX_KEYS', 1_000_000, 0),
    ingestToken: env.INGEST_TOKEN || undefined,
    queryToken: env.QUERY_TOKEN || undefined,
    lmdbMapBytes: int(env, 'LMDB_MAP_BYTES', 64 * 1024 ** 3, 1024 * 1024),
    insights: insightsConfig(env),
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
  };
}

function insightsConfig(env: Env): Config['insights'] {
  const completeRatio = num(env, 'COMPLETE_RATIO', 0.9, 0);
  const resumeMinRatio = num(env, 'RESUME_MIN_RATIO', 0.05, 0);
  if (completeRatio <= 0 || completeRatio > 1) throw new ConfigError(`COMPLETE_RATIO must be more than 0 and at most 1, got ${completeRatio}`);
  if (resumeMinRatio >= completeRatio) throw new ConfigError(`RESUME_MIN_RATIO must be less than COMPLETE_RATIO (${completeRatio}), got ${resumeMinRatio}`);
  return { completeRatio, resumeMinRatio, retentionBucketS: int(env, 'RETENTION_BUCKET_S', 30, 1, 86_400) };
}
