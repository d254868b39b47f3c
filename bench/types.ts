import type { MachineInfo, Rss } from './proc.js';
import type { QueryClientResult } from './query-client.js';
import type { Recovery } from './service.js';
import type { Stat } from './stats.js';
import type { WrkResult } from './wrk.js';

/** What the suite runs; FULL and SMOKE in scripts/bench.ts. */
export interface Settings {
  runs: number;
  /** seconds of each measured wrk run, and of the warm-up before a series */
  seconds: number;
  warmupSeconds: number;
  connections: number;
  batch: number;
  /** Lua request pools: users/slugs drawn at random, `pool` requests pre-built */
  single: { users: number; slugs: number; pool: number };
  batched: { users: number; slugs: number; pool: number };
  /** few hot users (issue 13: 1,000 users × 2 movies): single events and the query-throughput GETs */
  hot: { users: number; slugs: number; pool: number };
  query: { users: number; perUser: number; movies: number; seconds: number; ratePerKind: number };
  /** series: the workload of bench/series-size (movies with events in 60 % of the minutes, for `days`) */
  memory: { pairs: number; events: number; perUser: number; movies: number; series: { days: number; movies: number } };
  recovery: { pairs: number; perUser: number; movies: number; events: number[] };
  /** bench/cluster-hosts: 3 NATS servers (R3), two hosts, wrk through both */
  cluster: { seconds: number; connections: number; partitions: number };
  scaling: number[];
}

/** One wrk run. */
export interface WrkFigure {
  /** events acknowledged 2xx per second */
  eventsPerS: number;
  requestsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  errors: WrkResult['errors'];
  wrkCores: number;
  procCores: Record<string, number>;
  /** whole machine's busy cores; minus wrk and the watched processes, that is interference */
  machineCores: number;
}

/** The runs of one figure. */
export interface WrkSeries {
  runs: WrkFigure[];
  eventsPerS: Stat;
  requestsPerS: Stat;
  p50Ms: Stat;
  p99Ms: Stat;
  p999Ms: Stat;
  wrkCores: Stat;
  /** CPU cores per watched process (median over runs) */
  procCores: Record<string, number>;
  /** busy cores of the whole machine not used by wrk or the watched processes (median over runs) */
  otherCores: Stat;
  errors: number;
}

export interface RecoveryCase {
  events: number;
  snapshot: boolean;
  readyMs: Stat;
  /** the slowest shard's own "recovered ... in N ms" */
  shardRecoveryMs: Stat;
  replayEventsPerS: Stat;
  runs: { readyMs: number; shards: Recovery[] }[];
  /** shard RSS right after recovering from the snapshot */
  rssBytes?: Stat;
}

/** bench/results.json */
export interface Results {
  meta: {
    date: string;
    mode: 'full' | 'smoke';
    elapsedS: number;
    machine: MachineInfo;
    tmpFilesystem: string;
    /** 1, 5 and 15 min load averages when the run started: other work on the machine */
    loadAverage: number[];
    git: string;
    settings: Settings;
    shards: number;
  };
  ceiling?: { single: WrkSeries; batch: WrkSeries };
  ingestSingle?: WrkSeries;
  ingestBatch?: WrkSeries;
  /** the same runs against a service with DURABILITY=commit (no fsync), side by side */
  ingestSingleCommit?: WrkSeries;
  ingestBatchCommit?: WrkSeries;
  /** the same runs with insights in use (§5.5): events with ts, every movie with a duration */
  ingestSingleInsights?: WrkSeries;
  ingestBatchInsights?: WrkSeries;
  query?: {
    /** requests/s asked of the throttled wrk: half of ingest-single's median */
    targetRps: number;
    ingest: WrkSeries;
    preload: { pairs: number; users: number; movies: number };
    /** the same query mix on the same data with no ingest running (one run) */
    idle?: QueryClientResult;
    runs: QueryClientResult[];
    kinds: Record<string, { p50Ms: Stat; p99Ms: Stat; requests: number; errors: number }>;
    /** the same client and load against the ceiling server, run by run beside the service */
    floor?: Record<string, { p50Ms: Stat; p99Ms: Stat; requests: number; errors: number }>;
  };
  /** ingest-batch by SHARDS */
  scaling?: Record<string, WrkSeries>;
  /** ingest-single by SHARDS */
  scalingSingle?: Record<string, WrkSeries>;
  memory?: {
    pairs: number;
    events: number;
    runs: { empty: Rss; atPairs: Rss; afterEvents: Rss; front: Rss; loadEventsPerS: number }[];
    emptyRssBytes: Stat;
    rssAtPairsBytes: Stat;
    /** shard RSS at `pairs` pairs / pairs */
    bytesPerPair: Stat;
    /** (shard RSS at `pairs` pairs - shard RSS when empty) / pairs */
    addedBytesPerPair: Stat;
    anonAddedBytesPerPair: Stat;
    rssAfterEventsBytes: Stat;
    bytesPerPairAfterEvents: Stat;
    addedBytesPerPairAfterEvents: Stat;
    /** RssAnon only: leaves out LMDB and code pages mapped from files, which the kernel can drop */
    anonAddedBytesPerPairAfterEvents: Stat;
    /** absent in runs from before the series were measured */
    series?: SeriesSize;
  };
  /** issue 13: the service beside the ceiling and the peers, each load run by run in turn */
  peers?: { skipped: string[]; loads: Partial<Record<PeerLoad, Partial<Record<PeerSystem, WrkSeries>>>> };
  /** cluster mode (§6): absent when the section did not run; `skipped` says why it could not */
  cluster?: { skipped?: string; runs: ClusterRun[] };
  recovery?: {
    /** start-to-ready on an empty DATA_DIR: pm2 and Node start-up, no data */
    emptyReadyMs: Stat;
    cases: Record<string, RecoveryCase>;
  };
}

export const PEER_LOADS = ['single', 'singleHot', 'batch', 'query'] as const;
export type PeerLoad = (typeof PEER_LOADS)[number];
/** `before`: another build of the service (BENCH_BEFORE=checkout), for A/B runs of a change. */
export const PEER_SYSTEMS = ['ceiling', 'service', 'before', 'plain', 'fastifyRedis'] as const;
export type PeerSystem = (typeof PEER_SYSTEMS)[number];
export const PEER_NAMES: Record<PeerSystem, string> = {
  ceiling: 'ceiling',
  service: 'service',
  before: 'service before the change',
  plain: 'plain single process',
  fastifyRedis: 'Fastify + Redis',
};

/** The series' allocated sizes after `days` of minute traffic on `movies` movies (bench/series-size). */
export interface SeriesSize {
  movies: number;
  days: number;
  hourEntries: number;
  hourBytes: number;
  minuteEntries: number;
  minuteBytes: number;
  /** (hour + minute bytes) / non-empty movie-hours */
  bytesPerMovieHour: number;
}

/** One line of bench/cluster-hosts for a load: both hosts' wrk runs together. */
export interface ClusterLoad {
  mode: 'batch' | 'single';
  requestsPerS: number;
  eventsPerS: number;
  non2xx: number;
  p50ms: number;
  p99ms: number;
  machineCores: number;
  cores: Record<string, number>;
}

/** One run of bench/cluster-hosts. */
export interface ClusterRun {
  batch: ClusterLoad;
  single: ClusterLoad;
  killToServedMs: number;
  /** from starting the second host until it serves its half of the partitions */
  joinMs: number;
  /** GETs through one host under the single-event load */
  queries: QueryClientResult | null;
  partitions: number;
  /** bench/cluster-append with this run's loads' items and requests in flight (absent in runs before it existed) */
  engine?: { batch: EngineAloneRun; single: EngineAloneRun };
}

/** The line bench/cluster-append prints: fenced R3 appends from one process, nothing else running. */
export interface EngineAloneRun {
  partitions: number;
  callersPerPartition: number;
  itemBytes: number;
  eventsPerItem: number;
  appendsPerSec: number;
  eventsPerSec: number;
  recordsPerSec: number;
  itemsPerRecord: number;
  failures: number;
  clientCpuPct: number;
  serverCpuPct: number[];
  inFlight: number;
}
