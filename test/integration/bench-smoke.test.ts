import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { PEER_LOADS, PEER_SYSTEMS, type Results, type WrkSeries } from '../../bench/types.js';
import { findWrk } from '../../bench/wrk.js';

// The benchmark suite in its smoke form (every section, tiny, once): keeps scripts/bench.ts and
// bench/ working as the code changes. It checks that the suite runs and reports every figure,
// never how fast anything is: speed is for `npm run bench` on a quiet machine.
const ROOT = resolve(import.meta.dirname, '../../..');
const wrk = findWrk();

t.test(
  'npm run bench -- --smoke runs every section and writes results.json',
  { skip: wrk ? false : 'wrk is not installed (the bench load tool): apt-get install wrk' },
  async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'wt-bench-smoke-'));
    t.teardown(() => rmSync(out, { recursive: true, force: true }));
    const { code, output } = await new Promise<{ code: number | null; output: string }>((ok) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/scripts/bench.js'), '--smoke', `--out=${out}`], {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      // The bench bounds every step itself; this only stops a hang from blocking the suite.
      const timer = setTimeout(() => child.kill('SIGTERM'), 420_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        ok({ code, output });
      });
    });
    t.equal(code, 0, `bench --smoke exits 0\n${output.slice(-4000)}`);
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    t.equal(r.meta.mode, 'smoke');

    const measured = (name: string, s: WrkSeries | undefined): void => {
      t.ok(s, `${name} measured`);
      if (!s) return;
      t.ok(s.runs.length > 0 && s.runs.every((f) => f.eventsPerS > 0 && Number.isFinite(f.latencyMs.p99)), `${name}: wrk answered and reported latency`);
      t.ok(
        s.runs.every((f) => Number.isFinite(f.wrkCores)),
        `${name}: wrk's own CPU is reported`,
      );
    };
    measured('ceiling single', r.ceiling?.single);
    measured('ceiling batch', r.ceiling?.batch);
    measured('ingest-single', r.ingestSingle);
    measured('ingest-batch', r.ingestBatch);
    measured('ingest-single, DURABILITY=commit', r.ingestSingleCommit);
    measured('ingest-batch, DURABILITY=commit', r.ingestBatchCommit);
    measured('ingest-single, insights in use', r.ingestSingleInsights);
    measured('ingest-batch, insights in use', r.ingestBatchInsights);
    t.equal(r.ingestSingleInsights?.errors, 0, 'no ingest request with ts failed');
    // Issue 13's peers: every load on the service, the ceiling and both peers (redis-server is
    // installed by .ci/run), and the peers answer what they are sent.
    t.same(r.peers?.skipped, [], 'every peer ran (Fastify + Redis needs redis-server)');
    for (const load of PEER_LOADS) {
      // `before` is an A/B run's second build (BENCH_BEFORE), absent here.
      for (const system of PEER_SYSTEMS.filter((x) => x !== 'before')) {
        const s = r.peers?.loads[load]?.[system];
        measured(`peers ${load}: ${system}`, s);
        t.equal(s?.errors, 0, `peers ${load}: every ${system} request answered 2xx`);
      }
    }
    measured('query-under-load ingest', r.query?.ingest);
    t.equal(r.ingestSingle?.errors, 0, 'no ingest request failed');
    t.equal(r.ingestBatch?.errors, 0, 'no batch request failed');
    for (const kind of ['user', 'pair', 'movie', 'top10', 'retention', 'continueWatching']) {
      const k = r.query?.kinds[kind];
      t.ok(k && k.requests > 0 && Number.isFinite(k.p99Ms.median), `query-under-load timed ${kind} GETs`);
      t.equal(k?.errors, 0, `every ${kind} GET answered 200`);
    }
    for (const kind of ['user', 'pair', 'movie', 'top10']) {
      const f = r.query?.floor?.[kind];
      t.ok(f && f.requests > 0 && Number.isFinite(f.p99Ms.median), `query floor: ${kind} GETs timed against the ceiling`);
    }
    for (const [shards, s] of Object.entries(r.scaling ?? {})) measured(`scaling SHARDS=${shards}`, s);
    for (const [shards, s] of Object.entries(r.scalingSingle ?? {})) measured(`scaling single SHARDS=${shards}`, s);
    t.equal(Object.keys(r.scalingSingle ?? {}).length, Object.keys(r.scaling ?? {}).length, 'scaling measured single and batch ingest for each SHARDS value');
    t.ok(Object.keys(r.scaling ?? {}).length >= 2, 'scaling ran with more than one SHARDS value');
    t.ok(r.memory && r.memory.rssAtPairsBytes.median > 0 && r.memory.rssAfterEventsBytes.median > 0, 'memory: shard RSS read after loading pairs and events');
    const cases = Object.values(r.recovery?.cases ?? {});
    t.equal(cases.length, 4, 'recovery: two dataset sizes, with and without a snapshot');
    for (const c of cases) {
      t.ok(Number.isFinite(c.readyMs.median), `recovery ${c.events} events ${c.snapshot ? 'with' : 'without'} snapshot: time to ready measured`);
      const replayed = c.runs[0]?.shards.reduce((a, s) => a + s.events, 0) ?? -1;
      // Without a snapshot every logged event is replayed; with one, none (it covers the whole log).
      t.equal(replayed, c.snapshot ? 0 : c.events, 'the shards replayed what the case says');
    }
    t.ok(r.memory?.series && r.memory.series.bytesPerMovieHour > 0, 'memory: series bytes per non-empty movie-hour measured');
    // .ci/run installs nats-server >= 2.10, so the cluster section runs rather than being skipped.
    t.notOk(r.cluster?.skipped, `cluster section ran${r.cluster?.skipped ? `: ${r.cluster.skipped}` : ''}`);
    const run = r.cluster?.runs[0];
    t.ok(
      run && run.batch.eventsPerS > 0 && run.single.requestsPerS > 0 && run.batch.non2xx === 0 && run.single.non2xx === 0,
      'cluster: both loads acknowledged through both hosts',
    );
    t.ok(run && Number.isFinite(run.killToServedMs), 'cluster: kill -9 of a host to every partition served, measured');
    t.ok(run && Number.isFinite(run.joinMs), 'cluster: a joining host taking its share, measured');
    t.ok(run?.queries && run.queries.user.requests > 0 && run.queries.pair.errors === 0, 'cluster: GETs timed under the single-event load, answered 200');
    t.ok(
      run?.engine &&
        run.engine.batch.eventsPerSec > 0 &&
        run.engine.single.eventsPerSec > 0 &&
        run.engine.batch.eventsPerItem > run.engine.single.eventsPerItem,
      'cluster: the engine alone measured with the log items of each load',
    );
  },
);
