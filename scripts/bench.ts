/**
 * `npm run bench`: the benchmark suite of BENCHMARKS.md (issue 6). Builds nothing and installs
 * nothing (npm run bench builds first); needs wrk (`apt-get install wrk`).
 *
 *   npm run bench                      full suite (~22 min on 2 cores): bench/results.json + BENCHMARKS.md
 *   npm run bench -- --smoke           every section, tiny and once (seconds); results in bench/out/smoke
 *   npm run bench -- --only=ingest,query   some sections (ingest, peers, query, scaling, memory, recovery, cluster)
 *   npm run bench -- --profile         front and shard under --cpu-prof: single and batch ingest, GETs (PROFILE_LOADS=query,...: some)
 *   --out=DIR                          where results.json goes (and no BENCHMARKS.md update)
 *   BENCH_BEFORE=DIR                   the peers section also runs the service built in checkout DIR
 *                                      ("before"), run by run beside this one: A/B of a change
 *   PEERS=service,before PEER_LOADS=query   the peers section runs only these systems and loads
 *   --render=FILE                      BENCHMARKS.md and bench/results.json from an earlier results.json (with --out: print the table only)
 *
 * All load goes to 127.0.0.1, every run is bounded in time, every service gets its own temp
 * DATA_DIR and PM2_HOME and a free port, and only processes started here are ever killed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summarizeFile } from '../bench/cpuprofile.js';
import { eventJson, load, pairNames, slugName, userName } from '../bench/load.js';
import { childrenOf, filesystemOf, findExecutable, machineInfo, rssOf, sumRss } from '../bench/proc.js';
import { QUERY_KINDS, runQueryClient, type QueryClientConfig, type QueryClientResult } from '../bench/query-client.js';
import { DirectService } from '../bench/direct.js';
import { profileMarkdown, resultsMarkdown, updateSection, type ProfiledRun } from '../bench/report.js';
import { BenchService, freePort, killEverything, ROOT, sleep, type Recovery } from '../bench/service.js';
import { stat, type Stat } from '../bench/stats.js';
import {
  PEER_LOADS,
  PEER_NAMES,
  PEER_SYSTEMS,
  type ClusterLoad,
  type ClusterRun,
  type EngineAloneRun,
  type PeerLoad,
  type PeerSystem,
  type Results,
  type SeriesSize,
  type Settings,
  type WrkFigure,
  type WrkSeries,
} from '../bench/types.js';
import { natsServerBinary } from '../test/helpers/nats-cluster.js';
import { findWrk, runWrk, wrkVersion, type WrkResult } from '../bench/wrk.js';
import { defaultShards } from '../src/config.js';
import { DEFAULT_PARTITIONS } from '../src/cluster/config.js';

// ---------------------------------------------------------------------------------------------
// Settings

const FULL: Settings = {
  runs: 3,
  seconds: 8,
  warmupSeconds: 2,
  connections: 64,
  batch: 100,
  single: { users: 100_000, slugs: 1_000, pool: 8192 },
  batched: { users: 100_000, slugs: 1_000, pool: 512 },
  hot: { users: 1_000, slugs: 2, pool: 8192 },
  query: { users: 30_000, perUser: 10, movies: 100_000, seconds: 8, ratePerKind: 100 },
  memory: { pairs: 1_000_000, events: 10_000_000, perUser: 10, movies: 10_000, series: { days: 40, movies: 1000 } },
  recovery: { pairs: 1_000_000, perUser: 10, movies: 10_000, events: [1_000_000, 5_000_000] },
  scaling: [1, 2, 4],
  cluster: { seconds: 8, connections: 128, partitions: DEFAULT_PARTITIONS },
};

const SMOKE: Settings = {
  runs: 1,
  seconds: 1,
  warmupSeconds: 0,
  connections: 16,
  batch: 100,
  single: { users: 1_000, slugs: 100, pool: 256 },
  batched: { users: 1_000, slugs: 100, pool: 16 },
  hot: { users: 100, slugs: 2, pool: 256 },
  query: { users: 200, perUser: 5, movies: 1_000, seconds: 1, ratePerKind: 20 },
  memory: { pairs: 10_000, events: 20_000, perUser: 10, movies: 1_000, series: { days: 2, movies: 20 } },
  recovery: { pairs: 10_000, perUser: 10, movies: 1_000, events: [10_000, 20_000] },
  scaling: [1, 2],
  cluster: { seconds: 1, connections: 16, partitions: 8 },
};

const SECTIONS = ['ingest', 'peers', 'query', 'scaling', 'memory', 'recovery', 'cluster'] as const;
type Section = (typeof SECTIONS)[number];

const LUA = join(ROOT, 'bench/ingest.lua');
const SHARDS = defaultShards();
/** No snapshot at all while a recovery dataset is written (SNAPSHOT_EVERY_MS stays below 2^31). */
const NO_SNAPSHOTS = { SNAPSHOT_EVERY_EVENTS: String(1e12), SNAPSHOT_EVERY_MS: String(2_000_000_000) };

const say = (msg: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

// ---------------------------------------------------------------------------------------------
// Helpers

function figure(r: WrkResult, eventsPerRequest: number): WrkFigure {
  const ms = (us: number): number => us / 1000;
  return {
    eventsPerS: (r.ok * eventsPerRequest) / r.durationS,
    requestsPerS: r.rps,
    latencyMs: { p50: ms(r.latencyUs.p50), p90: ms(r.latencyUs.p90), p99: ms(r.latencyUs.p99), p999: ms(r.latencyUs.p999), max: ms(r.latencyUs.max) },
    errors: r.errors,
    wrkCores: r.wrkCores,
    procCores: r.procCores,
    machineCores: r.machineCores,
  };
}

function series(runs: WrkFigure[]): WrkSeries {
  const procCores: Record<string, number> = {};
  for (const k of Object.keys(runs[0]?.procCores ?? {})) procCores[k] = stat(runs.map((r) => r.procCores[k] ?? NaN)).median;
  const e = (f: WrkFigure): number => f.errors.connect + f.errors.read + f.errors.write + f.errors.status + f.errors.timeout;
  return {
    runs,
    eventsPerS: stat(runs.map((r) => r.eventsPerS)),
    requestsPerS: stat(runs.map((r) => r.requestsPerS)),
    p50Ms: stat(runs.map((r) => r.latencyMs.p50)),
    p99Ms: stat(runs.map((r) => r.latencyMs.p99)),
    p999Ms: stat(runs.map((r) => r.latencyMs.p999)),
    wrkCores: stat(runs.map((r) => r.wrkCores)),
    procCores,
    otherCores: stat(runs.map((r) => r.machineCores - r.wrkCores - Object.values(r.procCores).reduce((a, b) => a + b, 0))),
    errors: runs.reduce((a, r) => a + e(r), 0),
  };
}

type Pool = Settings['single'];
type LoadMode = 'single' | 'batch' | 'query';

/** ingest.lua's arguments; `pool` defaults to the mode's own (single or batched). */
function ingestArgs(s: Settings, mode: LoadMode, seed: number, rate = 0, ts = false, pool?: Pool): (string | number)[] {
  const p = pool ?? (mode === 'batch' ? s.batched : s.single);
  return [mode, mode === 'batch' ? s.batch : 1, p.users, p.slugs, p.pool, seed, Math.round(rate), ts ? 1 : 0];
}

interface Target {
  url: string;
  watch: Record<string, number>;
  /** send events with `ts` (insights in use, §5.5) */
  ts?: boolean;
}

async function wrkRun(wrk: string, s: Settings, target: Target, mode: LoadMode, seed: number, seconds = s.seconds, rate = 0, pool?: Pool): Promise<WrkFigure> {
  const r = await runWrk({
    wrk,
    url: `${target.url}/events`,
    script: LUA,
    seconds,
    connections: s.connections,
    args: ingestArgs(s, mode, seed, rate, target.ts, pool),
    watch: target.watch,
  });
  return figure(r, mode === 'batch' ? s.batch : 1);
}

interface ServerProcess {
  target: Target;
  stop: () => Promise<void>;
}

/**
 * Starts one of the bench's own servers (dist/bench/<script>.js: the ceiling, a peer) on a free
 * port and waits until it prints "listening". `watch` adds processes it starts (Redis) by label.
 */
async function startServer(
  script: string,
  label: string,
  env: Record<string, string> = {},
  watch: (pid: number) => Record<string, number> = () => ({}),
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, `dist/bench/${script}.js`)], {
    env: { ...process.env, NODE_OPTIONS: '', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) ok();
    });
    child.once('exit', (code) => fail(new Error(`${script} exited ${code}`)));
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  return {
    target: { url: `http://127.0.0.1:${port}`, watch: { [label]: child.pid!, ...watch(child.pid!) } },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const startCeiling = (): Promise<ServerProcess> => startServer('ceiling', 'ceiling');

async function serviceTarget(svc: BenchService): Promise<Target> {
  const [front] = await svc.pids('wt-front');
  const shards = await svc.pids('wt-shard');
  const watch: Record<string, number> = { front: front! };
  shards.forEach((pid, k) => (watch[`shard${k}`] = pid));
  return { url: svc.url, watch };
}

// ---------------------------------------------------------------------------------------------
// Sections

/** PUT /movies/movie-00000.. (the slugs ingest.lua draws from) with a duration: the catalogue in use (§5.2). */
async function putCatalogue(url: string, slugs: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < slugs) {
      const slug = `movie-${String(next++).padStart(5, '0')}`;
      const r = await fetch(`${url}/movies/${slug}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ duration: 7200, title: slug }),
      });
      if (r.status !== 200) throw new Error(`PUT /movies/${slug}: ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * ceiling, ingest-single, ingest-batch: ceiling and service runs alternate, same seeds. The
 * service runs three times side by side: the default DURABILITY=fsync, DURABILITY=commit (acked
 * once in the page cache: survives kill -9 of any process, the contract's durability, not power
 * loss), and with insights in use (§5.5: every event with a ts, every movie with a duration, so
 * retention, completions and series all work) against the same build's plain v1 events.
 */
async function ingestSection(wrk: string, s: Settings, out: Results): Promise<void> {
  const ceiling = await startCeiling();
  const svc = await BenchService.start({ shards: SHARDS });
  const commitSvc = await BenchService.start({ shards: SHARDS, env: { DURABILITY: 'commit' } });
  const insightsSvc = await BenchService.start({ shards: SHARDS });
  try {
    const service = await serviceTarget(svc);
    const commit = await serviceTarget(commitSvc);
    const insights: Target = { ...(await serviceTarget(insightsSvc)), ts: true };
    await putCatalogue(insightsSvc.url, Math.max(s.single.slugs, s.batched.slugs));
    for (const mode of ['single', 'batch'] as const) {
      if (s.warmupSeconds > 0) {
        for (const target of [ceiling.target, service, commit, insights]) await wrkRun(wrk, s, target, mode, 99, s.warmupSeconds);
      }
      const c: WrkFigure[] = [];
      const v: WrkFigure[] = [];
      const w: WrkFigure[] = [];
      const n: WrkFigure[] = [];
      for (let i = 0; i < s.runs; i++) {
        c.push(await wrkRun(wrk, s, ceiling.target, mode, i + 1));
        v.push(await wrkRun(wrk, s, service, mode, i + 1));
        w.push(await wrkRun(wrk, s, commit, mode, i + 1));
        n.push(await wrkRun(wrk, s, insights, mode, i + 1));
        say(
          `${mode} run ${i + 1}: ceiling ${fmt(c[i]!.eventsPerS)} events/s, service ${fmt(v[i]!.eventsPerS)} events/s (p99 ${v[i]!.latencyMs.p99.toFixed(2)} ms),` +
            ` DURABILITY=commit ${fmt(w[i]!.eventsPerS)} events/s, insights in use ${fmt(n[i]!.eventsPerS)} events/s (${((100 * n[i]!.eventsPerS) / v[i]!.eventsPerS).toFixed(0)}% of v1)`,
        );
      }
      out.ceiling ??= { single: series([]), batch: series([]) };
      out.ceiling[mode] = series(c);
      if (mode === 'single') {
        out.ingestSingle = series(v);
        out.ingestSingleCommit = series(w);
        out.ingestSingleInsights = series(n);
      } else {
        out.ingestBatch = series(v);
        out.ingestBatchCommit = series(w);
        out.ingestBatchInsights = series(n);
      }
    }
  } finally {
    await ceiling.stop();
    for (const x of [svc, commitSvc, insightsSvc]) {
      await x.stop();
      x.cleanup();
    }
  }
}

/** One event (at 0) for every user × slug of a pool, so that GETs drawn from it find their names. */
function loadEveryPair(port: number, pool: Pool): Promise<unknown> {
  return load(port, pool.users * pool.slugs, (i) => eventJson(userName(Math.floor(i / pool.slugs)), slugName(i % pool.slugs), 0));
}

/**
 * Issue 13: the service (default settings: DURABILITY=fsync, default SHARDS) beside the ceiling
 * and two peers written in bench/peers (the plain single-process design, with the same
 * durability; Fastify + Redis, AOF everysec), each with its own store. Every load runs on every
 * system in turn, run by run, with the same request pools: single events over many users, single
 * events over few hot users, 100-event arrays, then GETs of user, pair and movie totals over the
 * hot users (ingested by then, so every GET finds its name).
 */
async function peersSection(wrk: string, s: Settings, out: Results): Promise<void> {
  const skipped: string[] = [];
  const systems: Partial<Record<PeerSystem, ServerProcess>> = {};
  const services: BenchService[] = [];
  const dirs: string[] = [];
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'wt-peer-'));
    dirs.push(d);
    return d;
  };
  try {
    // PEERS=service,before,... runs some of them only (A/B runs of a change).
    const only = process.env.PEERS?.split(',');
    const wanted = (x: PeerSystem): boolean => !only || only.includes(x);
    if (wanted('ceiling')) systems.ceiling = await startCeiling();
    for (const [x, root] of [
      ['service', undefined],
      ['before', process.env.BENCH_BEFORE],
    ] as const) {
      if (!wanted(x) || (x === 'before' && !root)) continue;
      const svc = await BenchService.start({ shards: SHARDS, root });
      services.push(svc);
      systems[x] = { target: await serviceTarget(svc), stop: () => Promise.resolve() };
    }
    if (wanted('plain')) systems.plain = await startServer('peers/plain', 'plain', { DATA_DIR: dir() });
    // The Fastify + Redis peer needs Debian's redis-server.
    const redis = wanted('fastifyRedis') ? findExecutable('redis-server') : null;
    if (redis) {
      const env = { DATA_DIR: dir(), REDIS_PORT: String(await freePort()), REDIS_SERVER: redis };
      systems.fastifyRedis = await startServer('peers/fastify-redis', 'fastify', env, (pid) => ({ redis: childrenOf(pid)[0] ?? NaN }));
    } else if (wanted('fastifyRedis')) {
      skipped.push('Fastify + Redis: redis-server is not installed (apt-get install redis-server)');
      say('peers: redis-server not found, Fastify + Redis skipped');
    }
    const running = PEER_SYSTEMS.filter((x) => systems[x]);
    const loads: Record<PeerLoad, [LoadMode, Pool]> = {
      single: ['single', s.single],
      singleHot: ['single', s.hot],
      batch: ['batch', s.batched],
      query: ['query', s.hot],
    };
    const result: NonNullable<Results['peers']> = { skipped, loads: {} };
    for (const name of PEER_LOADS.filter((l) => !process.env.PEER_LOADS || process.env.PEER_LOADS.split(',').includes(l))) {
      const [mode, pool] = loads[name];
      if (mode === 'query') {
        // One event for every hot pair, so that every GET of the pool finds its name (a 404 is an error to wrk).
        for (const x of running) if (x !== 'ceiling') await loadEveryPair(Number(new URL(systems[x]!.target.url).port), pool);
      }
      if (s.warmupSeconds > 0) for (const x of running) await wrkRun(wrk, s, systems[x]!.target, mode, 99, s.warmupSeconds, 0, pool);
      const runs: Partial<Record<PeerSystem, WrkFigure[]>> = {};
      for (let i = 0; i < s.runs; i++) {
        for (const x of running) (runs[x] ??= []).push(await wrkRun(wrk, s, systems[x]!.target, mode, i + 1, s.seconds, 0, pool));
        say(
          `peers ${name} run ${i + 1}: ${running.map((x) => `${PEER_NAMES[x]} ${fmt(runs[x]![i]!.eventsPerS)}`).join(', ')} ${mode === 'batch' ? 'events' : 'requests'}/s`,
        );
      }
      result.loads[name] = Object.fromEntries(running.map((x) => [x, series(runs[x]!)]));
    }
    out.peers = result;
  } finally {
    for (const x of PEER_SYSTEMS) await systems[x]?.stop();
    for (const svc of services) {
      await svc.stop();
      svc.cleanup();
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Reads, then ingest-single throttled to half its maximum while a Node client times GETs. */
async function querySection(wrk: string, s: Settings, out: Results): Promise<void> {
  const q = s.query;
  const svc = await BenchService.start({ shards: SHARDS });
  try {
    const target = await serviceTarget(svc);
    const pairs = q.users * q.perUser;
    const pre = await load(svc.port, pairs, (i) => eventJson(...pairNames(i, q.perUser, q.movies), 0));
    say(`query: preloaded ${fmt(pairs)} pairs (${fmt(q.users)} users, ${fmt(q.movies)} movies) at ${fmt(pre.eventsPerS)} events/s`);
    let max = out.ingestSingle?.requestsPerS.median;
    if (max === undefined || !Number.isFinite(max)) {
      max = (await wrkRun(wrk, s, target, 'single', 98, Math.max(1, Math.min(3, s.seconds)))).requestsPerS;
      say(`query: ingest-single maximum measured here: ${fmt(max)} requests/s`);
    }
    const rate = max / 2;
    // The same queries with no ingest load, for reference (after a 1 s warm-up of the same mix).
    const idleConfig: QueryClientConfig = { port: svc.port, seconds: 1, ratePerKind: q.ratePerKind, users: q.users, perUser: q.perUser, movies: q.movies };
    await runQueryClient(idleConfig);
    const idle = await runQueryClient({ ...idleConfig, seconds: Math.min(3, q.seconds) });
    say(`query without load: p99 ${QUERY_KINDS.map((k) => `${k} ${idle[k].p99Ms.toFixed(2)}`).join(' ')} ms`);
    // The same load and queries against the ceiling server, run by run beside the service: the
    // floor this machine and this client set (scheduling, wake-ups), with no hop to a shard.
    const ceiling = await startCeiling();
    const ceilingPort = Number(new URL(ceiling.target.url).port);
    const ingest: WrkFigure[] = [];
    const runs: QueryClientResult[] = [];
    const floorRuns: QueryClientResult[] = [];
    const underLoad = async (t: Target, port: number, i: number): Promise<[WrkFigure, QueryClientResult]> => {
      const config: QueryClientConfig = { port, seconds: q.seconds, ratePerKind: q.ratePerKind, users: q.users, perUser: q.perUser, movies: q.movies };
      // wrk starts first and ends last: every query is timed under load.
      const load = wrkRun(wrk, s, t, 'single', 10 + i, q.seconds + 2, rate);
      await sleep(1000);
      return Promise.all([load, runQueryClient(config)]);
    };
    try {
      for (let i = 0; i < s.runs; i++) {
        const [, floor] = await underLoad(ceiling.target, ceilingPort, i);
        floorRuns.push(floor);
        const [f, r] = await underLoad(target, svc.port, i);
        ingest.push(f);
        runs.push(r);
        say(
          `query run ${i + 1}: ingest ${fmt(f.requestsPerS)} req/s (target ${fmt(rate)}); p99 ${QUERY_KINDS.map((k) => `${k} ${r[k].p99Ms.toFixed(2)}`).join(' ')} ms;` +
            ` ceiling p99 ${floor.user.p99Ms.toFixed(2)} ms`,
        );
      }
    } finally {
      await ceiling.stop();
    }
    const kindsOf = (rs: QueryClientResult[]): NonNullable<Results['query']>['kinds'] => {
      const kinds: NonNullable<Results['query']>['kinds'] = {};
      for (const k of QUERY_KINDS) {
        kinds[k] = {
          p50Ms: stat(rs.map((r) => r[k].p50Ms)),
          p99Ms: stat(rs.map((r) => r[k].p99Ms)),
          requests: rs.reduce((a, r) => a + r[k].requests, 0),
          errors: rs.reduce((a, r) => a + r[k].errors, 0),
        };
      }
      return kinds;
    };
    out.query = {
      targetRps: rate,
      ingest: series(ingest),
      preload: { pairs, users: q.users, movies: q.movies },
      idle,
      runs,
      kinds: kindsOf(runs),
      floor: kindsOf(floorRuns),
    };
  } finally {
    await svc.stop();
    svc.cleanup();
  }
}

/** ingest-batch on a fresh service with SHARDS = 1, 2, 4. */
async function scalingSection(wrk: string, s: Settings, out: Results): Promise<void> {
  out.scaling = {};
  out.scalingSingle = {};
  for (const shards of s.scaling) {
    const svc = await BenchService.start({ shards });
    try {
      const target = await serviceTarget(svc);
      for (const mode of ['single', 'batch'] as const) {
        if (s.warmupSeconds > 0) await wrkRun(wrk, s, target, mode, 99, s.warmupSeconds);
        const runs: WrkFigure[] = [];
        for (let i = 0; i < s.runs; i++) runs.push(await wrkRun(wrk, s, target, mode, i + 1));
        (mode === 'single' ? out.scalingSingle : out.scaling)[String(shards)] = series(runs);
      }
      say(
        `scaling SHARDS=${shards}: single ${fmt(out.scalingSingle[String(shards)]!.eventsPerS.median)} events/s, batch ${fmt(out.scaling[String(shards)]!.eventsPerS.median)} events/s`,
      );
    } finally {
      await svc.stop();
      svc.cleanup();
    }
  }
}

/**
 * Shard RSS with 1M pairs loaded, then after 10M more events on the same pairs, with insights in
 * use (§5.5): every movie has a duration and every event a client ts, so retention coverage,
 * completions and the series are all live. Then the series' bytes per non-empty movie-hour.
 */
async function memorySection(s: Settings, out: Results): Promise<void> {
  const m = s.memory;
  const ts0 = Date.now();
  const event = (i: number): string => {
    const [user, slug] = pairNames(i % m.pairs, m.perUser, m.movies);
    return `{"user":"${user}","slug":"${slug}","at":${Math.floor(i / m.pairs) * 10},"ts":${ts0 + i}}`;
  };
  const runs: NonNullable<Results['memory']>['runs'] = [];
  for (let r = 0; r < s.runs; r++) {
    const svc = await BenchService.start({ shards: SHARDS });
    try {
      const shards = await svc.pids('wt-shard');
      const [front] = await svc.pids('wt-front');
      await sleep(500);
      const empty = sumRss(shards);
      await putCatalogue(svc.url, m.movies);
      await load(svc.port, m.pairs, event);
      await sleep(2000);
      const atPairs = sumRss(shards);
      const l = await load(svc.port, m.events, (i) => event(m.pairs + i));
      await sleep(2000);
      const afterEvents = sumRss(shards);
      runs.push({ empty, atPairs, afterEvents, front: rssOf(front!), loadEventsPerS: l.eventsPerS });
      say(
        `memory run ${r + 1}: shards ${mb(empty.rss)} empty, ${mb(atPairs.rss)} at ${fmt(m.pairs)} pairs, ${mb(afterEvents.rss)} after ${fmt(m.events)} more events (loaded at ${fmt(l.eventsPerS)} events/s)`,
      );
    } finally {
      await svc.stop();
      svc.cleanup();
    }
  }
  const per = (f: (r: (typeof runs)[number]) => number): Stat => stat(runs.map(f));
  out.memory = {
    pairs: m.pairs,
    events: m.events,
    runs,
    emptyRssBytes: per((r) => r.empty.rss),
    rssAtPairsBytes: per((r) => r.atPairs.rss),
    bytesPerPair: per((r) => r.atPairs.rss / m.pairs),
    addedBytesPerPair: per((r) => (r.atPairs.rss - r.empty.rss) / m.pairs),
    anonAddedBytesPerPair: per((r) => (r.atPairs.anon - r.empty.anon) / m.pairs),
    rssAfterEventsBytes: per((r) => r.afterEvents.rss),
    bytesPerPairAfterEvents: per((r) => r.afterEvents.rss / m.pairs),
    addedBytesPerPairAfterEvents: per((r) => (r.afterEvents.rss - r.empty.rss) / m.pairs),
    anonAddedBytesPerPairAfterEvents: per((r) => (r.afterEvents.anon - r.empty.anon) / m.pairs),
    series: await seriesSize(m.series),
  };
}

/** bench/series-size.js in its own process: the series' allocated bytes per non-empty movie-hour. */
async function seriesSize(w: { days: number; movies: number }): Promise<SeriesSize> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/bench/series-size.js'), String(w.movies), String(w.days), '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  const code = await new Promise<number | null>((ok) => child.on('exit', ok));
  if (code !== 0) throw new Error(`bench/series-size exited with ${code}`);
  const size = JSON.parse(text) as SeriesSize;
  say(`series: ${size.bytesPerMovieHour.toFixed(1)} bytes per non-empty movie-hour (${size.movies} movies, ${size.days} days)`);
  return size;
}

/**
 * Cluster mode (§6), in the same run as the embedded figures: bench/cluster-hosts in its own
 * process per run (3 NATS servers, two hosts on this machine, wrk through both; then kill -9 of a
 * host and the time until every partition is writable through the other). Then the engine alone
 * (bench/cluster-append, its own NATS cluster): the service's log items for the same loads,
 * partitions and requests in flight, appended from one process with the whole machine — the
 * ceiling the engine sets on this machine, as the ceiling server does for HTTP. Skipped, saying
 * so, without nats-server ≥ 2.10 (scripts/install-nats-server.sh installs it).
 */
async function clusterSection(s: Settings, out: Results): Promise<void> {
  try {
    natsServerBinary();
  } catch (err) {
    out.cluster = { skipped: (err as Error).message, runs: [] };
    say(`cluster: skipped (${out.cluster.skipped})`);
    return;
  }
  const c = s.cluster;
  const runs: ClusterRun[] = [];
  for (let r = 0; r < s.runs; r++) {
    const args = ['--seconds', String(c.seconds), '--connections', String(c.connections), '--partitions', String(c.partitions)];
    const lines = (await jsonLinesOf('cluster-hosts', args, {})) as (Partial<ClusterLoad> & {
      killToServedMs?: number;
      joinMs?: number;
      queries?: QueryClientResult;
    })[];
    const load = (mode: 'batch' | 'single'): ClusterLoad => {
      const l = lines.find((x) => x.mode === mode);
      if (!l) throw new Error(`bench/cluster-hosts printed no ${mode} line`);
      return l as ClusterLoad;
    };
    const kill = lines.find((x) => x.killToServedMs !== undefined);
    const engine = { batch: await engineAlone('batch', c), single: await engineAlone('single', c) };
    const run: ClusterRun = {
      batch: load('batch'),
      single: load('single'),
      killToServedMs: kill?.killToServedMs ?? NaN,
      joinMs: lines.find((x) => x.joinMs !== undefined)?.joinMs ?? NaN,
      queries: lines.find((x) => x.queries !== undefined)?.queries ?? null,
      partitions: c.partitions,
      engine,
    };
    runs.push(run);
    say(
      `cluster run ${r + 1}: batches ${fmt(run.batch.eventsPerS)} events/s (p99 ${run.batch.p99ms} ms), singles ${fmt(run.single.requestsPerS)} requests/s (p99 ${run.single.p99ms} ms), kill -9 of a host to every partition served ${fmt(run.killToServedMs)} ms, join ${fmt(run.joinMs)} ms; engine alone: batch shape ${fmt(engine.batch.eventsPerSec)} events/s, single shape ${fmt(engine.single.eventsPerSec)} events/s` +
        (run.queries ? `; query p99 under the single load: ${QUERY_KINDS.map((k) => `${k} ${run.queries![k].p99Ms.toFixed(1)}`).join(' ')} ms` : ''),
    );
  }
  out.cluster = { runs };
}

/** The JSON lines a bench/ script printed (run in its own process; a non-zero exit throws). */
async function jsonLinesOf(script: string, args: string[], env: Record<string, string>): Promise<unknown[]> {
  const child = spawn(process.execPath, [join(ROOT, `dist/bench/${script}.js`), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  const code = await new Promise<number | null>((ok) => child.on('exit', ok));
  if (code !== 0) throw new Error(`bench/${script} exited with ${code}`);
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}

/** bench/cluster-append with the items and requests in flight of a cluster load: the engine's ceiling. */
async function engineAlone(shape: 'batch' | 'single', c: Settings['cluster']): Promise<EngineAloneRun> {
  const lines = await jsonLinesOf('cluster-append', ['--shape', shape, '--in-flight', String(c.connections)], {
    PARTITIONS: String(c.partitions),
    RUN_SECONDS: String(c.seconds),
  });
  const run = lines.at(-1) as EngineAloneRun | undefined;
  if (!run || run.failures > 0) throw new Error(`bench/cluster-append --shape ${shape}: ${run ? `${run.failures} failed appends` : 'no result'}`);
  return run;
}

/**
 * Start-to-/readyz with N logged events, first with no snapshot at all (the data was written with
 * snapshots off and every restart ends in SIGKILL of every process), then after a graceful stop
 * has taken a snapshot covering the whole log.
 */
async function recoverySection(s: Settings, out: Results): Promise<void> {
  const rc = s.recovery;
  const cases: NonNullable<Results['recovery']>['cases'] = {};
  const emptyReady: number[] = [];
  for (const total of rc.events) {
    const dataDir = mkdtempSync(join(tmpdir(), 'wt-bench-recovery-'));
    try {
      const first = await BenchService.start({ shards: SHARDS, dataDir, env: NO_SNAPSHOTS });
      emptyReady.push(first.readyMs);
      const l = await load(first.port, total, (i) => eventJson(...pairNames(i % rc.pairs, rc.perUser, rc.movies), Math.floor(i / rc.pairs) * 10));
      say(`recovery: wrote ${fmt(total)} events at ${fmt(l.eventsPerS)} events/s`);
      await first.crash();
      first.cleanup(true);
      for (const snapshot of [false, true]) {
        const runs: { readyMs: number; shards: Recovery[] }[] = [];
        const rss: number[] = [];
        for (let i = 0; i < s.runs; i++) {
          const svc = await BenchService.start({ shards: SHARDS, dataDir, env: NO_SNAPSHOTS });
          const shards = svc.recoveries();
          runs.push({ readyMs: svc.readyMs, shards });
          if (snapshot) rss.push(sumRss(await svc.pids('wt-shard')).rss);
          const from = new Set(shards.map((x) => x.from.startsWith('snapshot') === snapshot));
          if (from.has(false) || shards.length !== SHARDS)
            throw new Error(`recovery: expected ${snapshot ? 'a snapshot' : 'no snapshot'} on every shard, got ${JSON.stringify(shards)}`);
          // The last start without a snapshot ends gracefully: its shutdown snapshot is the one the next case starts from.
          if (!snapshot && i === s.runs - 1) await svc.stop();
          else await svc.crash();
          svc.cleanup(true);
        }
        const name = `${total}-${snapshot ? 'snapshot' : 'log'}`;
        cases[name] = {
          events: total,
          snapshot,
          readyMs: stat(runs.map((r) => r.readyMs)),
          shardRecoveryMs: stat(runs.map((r) => Math.max(...r.shards.map((x) => x.ms)))),
          replayEventsPerS: stat(runs.map((r) => r.shards.reduce((a, x) => a + x.events, 0) / (Math.max(...r.shards.map((x) => x.ms)) / 1000))),
          runs,
          ...(snapshot ? { rssBytes: stat(rss) } : {}),
        };
        say(`recovery ${name}: ready in ${cases[name].readyMs.median.toFixed(0)} ms (shards recovered in ${cases[name].shardRecoveryMs.median} ms)`);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  out.recovery = { emptyReadyMs: stat(emptyReady), cases };
}

// ---------------------------------------------------------------------------------------------
// Profile mode

async function profile(wrk: string, s: Settings): Promise<void> {
  const base = join(ROOT, 'bench/out/profile');
  rmSync(base, { recursive: true, force: true });
  const summaries: ProfiledRun[] = [];
  const only = process.env.PROFILE_LOADS?.split(',');
  for (const mode of (['single', 'batch', 'query'] as const).filter((m) => !only || only.includes(m))) {
    const dir = join(base, mode);
    mkdirSync(dir, { recursive: true });
    // pm2 cannot pass --cpu-prof (not allowed in NODE_OPTIONS): run the processes directly.
    const svc = await DirectService.start(SHARDS, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const front = svc.front.pid!;
    const shard0 = svc.shards[0]!.pid!;
    let f: WrkFigure;
    try {
      const watch: Record<string, number> = { front };
      svc.shards.forEach((c, k) => (watch[`shard${k}`] = c.pid!));
      const target: Target = { url: svc.url, watch };
      // The query load: GETs of the peers section over the hot pairs, ingested first.
      const pool = mode === 'query' ? s.hot : undefined;
      if (pool) await loadEveryPair(svc.port, pool);
      await wrkRun(wrk, s, target, mode, 99, 2, 0, pool);
      f = await wrkRun(wrk, s, target, mode, 1, 10, 0, pool);
    } finally {
      await svc.stop();
    }
    const file = (pid: number): string => {
      const name = readdirSync(dir).find((n) => n.includes(`.${pid}.`) && n.endsWith('.cpuprofile'));
      if (!name) throw new Error(`no .cpuprofile for pid ${pid} in ${dir}`);
      return join(dir, name);
    };
    summaries.push({
      mode,
      rps: f.requestsPerS,
      eventsPerS: f.eventsPerS,
      procCores: f.procCores,
      front: summarizeFile(file(front)),
      shard: summarizeFile(file(shard0)),
    });
    say(`profile ${mode}: ${fmt(f.eventsPerS)} events/s under --cpu-prof; profiles in ${dir}`);
  }
  const md = profileMarkdown(summaries, new Date().toISOString());
  writeFileSync(join(base, 'summary.md'), md);
  console.log(md);
  updateSection(join(ROOT, 'BENCHMARKS.md'), 'profile', md);
  say(`profile summary written to bench/out/profile/summary.md and BENCHMARKS.md`);
}

// ---------------------------------------------------------------------------------------------
// Main

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));
const mb = (b: number): string => `${(b / 1024 ** 2).toFixed(0)} MB`;

function gitDescribe(): Promise<string> {
  return new Promise((ok) => {
    const p = spawn('git', ['describe', '--always', '--dirty'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.on('exit', () => ok(text.trim() || 'unknown'));
    p.on('error', () => ok('unknown'));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    for (const a of args) {
      if (a === `--${name}`) return '';
      if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    }
    return undefined;
  };
  const smoke = flag('smoke') !== undefined;
  const s = smoke ? SMOKE : FULL;
  const render = flag('render');
  if (render) {
    // Re-render BENCHMARKS.md (and bench/results.json) from a results.json of an earlier run.
    const r = JSON.parse(readFileSync(render, 'utf8')) as Results;
    if (flag('out') !== undefined) {
      // With --out, only print: BENCHMARKS.md keeps the full run it shows.
      console.log(resultsMarkdown(r));
      return;
    }
    updateSection(join(ROOT, 'BENCHMARKS.md'), 'results', resultsMarkdown(r));
    if (resolve(render) !== join(ROOT, 'bench/results.json')) writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(r, null, 2) + '\n');
    say(`BENCHMARKS.md and bench/results.json rendered from ${render}`);
    return;
  }
  const wrk = findWrk();
  if (!wrk) {
    console.error('wrk is not installed; the bench needs it as its load tool. Install it with: sudo apt-get install wrk');
    process.exit(2);
  }
  if (!existsSync(join(ROOT, 'dist/bench/ceiling.js')) || !existsSync(join(ROOT, 'dist/src/front/main.js'))) {
    console.error('dist/ is missing: run `npm run build` first (npm run bench does).');
    process.exit(2);
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      killEverything();
      process.exit(130);
    });
  }
  process.on('exit', killEverything);

  if (flag('profile') !== undefined) {
    await profile(wrk, s);
    return;
  }
  const only = flag('only');
  const sections = new Set<Section>(only ? (only.split(',') as Section[]) : SECTIONS);
  for (const x of sections) if (!SECTIONS.includes(x)) throw new Error(`unknown section ${x}; known: ${SECTIONS.join(', ')}`);
  const outFlag = flag('out');
  const outDir = outFlag || join(ROOT, smoke ? 'bench/out/smoke' : 'bench');
  // BENCHMARKS.md shows the full suite only.
  const writeMarkdown = !smoke && !outFlag && !only;

  const t0 = performance.now();
  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      mode: smoke ? 'smoke' : 'full',
      elapsedS: 0,
      machine: machineInfo(wrkVersion(wrk)),
      tmpFilesystem: filesystemOf(tmpdir()),
      loadAverage: loadavg(),
      git: await gitDescribe(),
      settings: s,
      shards: SHARDS,
    },
  };
  say(
    `${smoke ? 'smoke' : 'full'} run: ${[...sections].join(', ')}; ${results.meta.machine.cores} cores, node ${process.version}, wrk ${results.meta.machine.wrk}`,
  );
  if (sections.has('ingest')) await ingestSection(wrk, s, results);
  if (sections.has('peers')) await peersSection(wrk, s, results);
  if (sections.has('query')) await querySection(wrk, s, results);
  if (sections.has('scaling')) await scalingSection(wrk, s, results);
  if (sections.has('memory')) await memorySection(s, results);
  if (sections.has('recovery')) await recoverySection(s, results);
  if (sections.has('cluster')) await clusterSection(s, results);
  results.meta.elapsedS = (performance.now() - t0) / 1000;

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const md = resultsMarkdown(results);
  console.log(md);
  if (writeMarkdown) updateSection(join(ROOT, 'BENCHMARKS.md'), 'results', md);
  say(`done in ${results.meta.elapsedS.toFixed(0)} s; results in ${join(outDir, 'results.json')}${writeMarkdown ? ' and BENCHMARKS.md' : ''}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    killEverything();
    process.exit(1);
  },
);
