import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ProfileSummary } from './cpuprofile.js';
import { QUERY_KINDS } from './query-client.js';
import { stat, type Stat } from './stats.js';
import {
  PEER_LOADS,
  PEER_NAMES,
  PEER_SYSTEMS,
  type ClusterRun,
  type EngineAloneRun,
  type PeerLoad,
  type PeerSystem,
  type Results,
  type WrkSeries,
} from './types.js';

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const dec = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : '–');
const pct = (r: number): string => (Number.isFinite(r) ? `${(100 * r).toFixed(0)}%` : '–');

const spread = (s: Stat, f: (n: number) => string): string => `${f(s.min)} – ${f(s.max)}`;

/** "met" or "missed by X" for a figure that must be >= or <= a target. */
function verdict(value: number, target: number, higherIsBetter: boolean, unit = ''): string {
  if (!Number.isFinite(value)) return 'not measured';
  const ok = higherIsBetter ? value >= target : value <= target;
  if (ok) return '**met**';
  const by = higherIsBetter ? (target - value) / target : (value - target) / target;
  return `**missed** by ${(100 * by).toFixed(0)}%${unit ? ` (${unit})` : ''}`;
}

interface Row {
  name: string;
  figure: string;
  median: string;
  range: string;
  ceiling: string;
  target: string;
  status: string;
}

const header = ['benchmark', 'figure', 'median', 'min – max', 'vs ceiling', 'target', 'status'];

function table(rows: Row[]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(['---', '---', '---:', '---:', '---:', '---', '---']),
    ...rows.map((r) => line([r.name, r.figure, r.median, r.range, r.ceiling, r.target, r.status])),
  ].join('\n');
}

function cpuLine(name: string, s: WrkSeries | undefined): string | null {
  if (!s) return null;
  const procs = Object.entries(s.procCores)
    .map(([k, v]) => `${k} ${dec(v)}`)
    .join(', ');
  return `| ${name} | ${dec(s.wrkCores.median)} (${spread(s.wrkCores, (n) => dec(n))}) | ${procs} | ${dec(s.otherCores.median)} (${spread(s.otherCores, (n) => dec(n))}) | ${int(s.errors)} |`;
}

/** A system's name in the peers table, the service's in bold. */
const peerName = (x: PeerSystem): string => (x === 'service' ? `**${PEER_NAMES[x]}**` : PEER_NAMES[x]);

const PEER_LOAD_NAMES: Record<PeerLoad, string> = {
  single: 'single events, many users: requests/s',
  singleHot: 'single events, hot users: requests/s',
  batch: 'arrays of events: events/s',
  query: 'GETs of user, pair, movie totals: requests/s',
};

/** Issue 13's targets, as the service's ratio to a peer that must be reached. */
const PEER_TARGETS: Record<PeerLoad, Partial<Record<PeerSystem, number>>> = {
  single: { plain: 1.3, fastifyRedis: 1.3, ceiling: 0.4 },
  singleHot: { plain: 1.3, fastifyRedis: 1.3, ceiling: 0.4 },
  batch: { plain: 1.5 },
  query: { plain: 1.2 },
};

/** The peers table: every system's median (p99) per load, and the service's ratios with their verdicts. */
function peersMarkdown(r: Results): string[] {
  const p = r.peers;
  if (!p) return [];
  const systems = PEER_SYSTEMS.filter((x) => PEER_LOADS.some((l) => p.loads[l]?.[x]));
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rows = [
    line(['load', ...systems.map((x) => `${peerName(x)} median (p99 ms)`), 'service ÷ peer (target)', 'status']),
    line(['---', ...systems.map(() => '---:'), '---', '---']),
  ];
  for (const load of PEER_LOADS) {
    const l = p.loads[load];
    if (!l) continue;
    const rate = (x: PeerSystem): number => (load === 'batch' ? l[x]?.eventsPerS.median : l[x]?.requestsPerS.median) ?? NaN;
    const service = rate('service');
    const ratios: string[] = [];
    const verdicts: string[] = [];
    for (const x of systems) {
      if (x === 'service' || !l[x]) continue;
      const target = PEER_TARGETS[load][x];
      const ratio = service / rate(x);
      ratios.push(`${dec(ratio)}× ${PEER_NAMES[x]}${target ? ` (≥ ${target}×)` : ''}`);
      if (target) verdicts.push(`${PEER_NAMES[x]}: ${verdict(ratio, target, true)}`);
    }
    if (load === 'batch' && l.service) {
      ratios.push('p99 (≤ 50 ms)');
      verdicts.push(`p99: ${verdict(l.service.p99Ms.median, 50, false)}`);
    }
    rows.push(
      line([
        PEER_LOAD_NAMES[load],
        ...systems.map((x) => (l[x] ? `${int(rate(x))} (${dec(l[x].p99Ms.median)})` : '–')),
        ratios.join('; '),
        verdicts.join('; '),
      ]),
    );
  }
  const cpu = PEER_LOADS.flatMap((load) => systems.map((x) => cpuLine(`${peerName(x)}, ${load}`, p.loads[load]?.[x]))).filter((x): x is string => x !== null);
  return [
    '### Side by side with the peers (issue 13)',
    '',
    `The service with its defaults (DURABILITY=fsync, SHARDS=${r.meta.shards}) beside the ceiling and two peers in \`bench/peers\`, each with its own store, every load run on every system in turn (${r.meta.settings.runs} runs of ${r.meta.settings.seconds} s, wrk \`-t1 -c${r.meta.settings.connections}\`). Plain single process: node:http, in-memory maps, one fdatasync'd append per event-loop turn before the answers (durable at the answer, like the service). Fastify + Redis (Debian's redis-server): JSON-schema validation, one Lua script call per event, AOF \`appendfsync everysec\` (an answer is not yet durable). Many users: ${int(r.meta.settings.single.users)} users × ${int(r.meta.settings.single.slugs)} movies; hot users: ${int(r.meta.settings.hot.users)} × ${int(r.meta.settings.hot.slugs)}; arrays of ${r.meta.settings.batch} events over the many users; GETs over the hot pairs, all ingested first.`,
    '',
    ...rows,
    ...(p.skipped.length ? ['', `Not run: ${p.skipped.join('; ')}.`] : []),
    '',
    'CPU during these runs:',
    '',
    '| wrk run | wrk CPU, cores (min – max) | server processes, cores (median) | other processes on the machine, cores (min – max) | errors (socket + non-2xx) |',
    '|---|---:|---|---:|---:|',
    ...cpu,
    '',
  ];
}

/** The generated part of BENCHMARKS.md: machine, settings and every figure with its verdict. */
export function resultsMarkdown(r: Results): string {
  const m = r.meta.machine;
  const s = r.meta.settings;
  const rows: Row[] = [];
  const cs = r.ceiling?.single.requestsPerS;
  const cb = r.ceiling?.batch.eventsPerS;
  const ratio = (v: number, c: Stat | undefined): string => (c ? pct(v / c.median) : '–');
  const none = { ceiling: '', target: '', status: '' };

  if (r.ceiling) {
    rows.push({
      name: 'ceiling',
      figure: 'single-event requests/s',
      median: int(r.ceiling.single.requestsPerS.median),
      range: spread(r.ceiling.single.requestsPerS, int),
      ceiling: '100%',
      target: '',
      status: '',
    });
    rows.push({
      name: 'ceiling',
      figure: `events/s in ${s.batch}-event arrays`,
      median: int(r.ceiling.batch.eventsPerS.median),
      range: spread(r.ceiling.batch.eventsPerS, int),
      ceiling: '100%',
      target: '',
      status: '',
    });
  }
  if (r.ingestSingle) {
    const v = r.ingestSingle;
    const rt = cs ? v.eventsPerS.median / cs.median : NaN;
    rows.push({
      name: 'ingest-single',
      figure: 'events/s (= requests/s)',
      median: int(v.eventsPerS.median),
      range: spread(v.eventsPerS, int),
      ceiling: pct(rt),
      target: '≥ 50% of ceiling',
      status: verdict(rt, 0.5, true),
    });
    rows.push({ name: 'ingest-single', figure: 'ack latency p50 ms', median: dec(v.p50Ms.median), range: spread(v.p50Ms, (n) => dec(n)), ...none });
    rows.push({ name: 'ingest-single', figure: 'ack latency p99 ms', median: dec(v.p99Ms.median), range: spread(v.p99Ms, (n) => dec(n)), ...none });
    rows.push({ name: 'ingest-single', figure: 'ack latency p99.9 ms', median: dec(v.p999Ms.median), range: spread(v.p999Ms, (n) => dec(n)), ...none });
  }
  if (r.ingestSingleCommit) {
    const v = r.ingestSingleCommit;
    const rt = cs ? v.eventsPerS.median / cs.median : NaN;
    rows.push({
      name: 'ingest-single, DURABILITY=commit',
      figure: 'events/s; ack p50 / p99 ms',
      median: `${int(v.eventsPerS.median)}; ${dec(v.p50Ms.median)} / ${dec(v.p99Ms.median)}`,
      range: spread(v.eventsPerS, int),
      ceiling: pct(rt),
      target: '≥ 50% of ceiling',
      status: verdict(rt, 0.5, true),
    });
  }
  if (r.ingestBatch) {
    const v = r.ingestBatch;
    rows.push({
      name: 'ingest-batch',
      figure: `events/s, ${s.batch}-event arrays`,
      median: int(v.eventsPerS.median),
      range: spread(v.eventsPerS, int),
      ceiling: ratio(v.eventsPerS.median, cb),
      target: '≥ 600,000',
      status: verdict(v.eventsPerS.median, 600_000, true),
    });
    rows.push({
      name: 'ingest-batch',
      figure: 'ack latency p50 / p99 ms',
      median: `${dec(v.p50Ms.median)} / ${dec(v.p99Ms.median)}`,
      range: `p99 ${spread(v.p99Ms, (n) => dec(n))}`,
      ...none,
    });
  }
  if (r.ingestBatchCommit) {
    const v = r.ingestBatchCommit;
    rows.push({
      name: 'ingest-batch, DURABILITY=commit',
      figure: `events/s, ${s.batch}-event arrays; ack p50 / p99 ms`,
      median: `${int(v.eventsPerS.median)}; ${dec(v.p50Ms.median)} / ${dec(v.p99Ms.median)}`,
      range: spread(v.eventsPerS, int),
      ceiling: ratio(v.eventsPerS.median, cb),
      target: '≥ 600,000',
      status: verdict(v.eventsPerS.median, 600_000, true),
    });
  }
  for (const [name, v, v1] of [
    ['ingest-single, insights in use', r.ingestSingleInsights, r.ingestSingle],
    ['ingest-batch, insights in use', r.ingestBatchInsights, r.ingestBatch],
  ] as const) {
    if (!v || !v1) continue;
    const rt = v.eventsPerS.median / v1.eventsPerS.median;
    rows.push({
      name,
      figure: 'events/s (ts on every event, every movie with a duration); ack p50 / p99 ms',
      median: `${int(v.eventsPerS.median)}; ${dec(v.p50Ms.median)} / ${dec(v.p99Ms.median)}`,
      range: spread(v.eventsPerS, int),
      ceiling: `${pct(rt)} of v1`,
      target: '≥ 90% of the v1 path, same run (§5.5)',
      status: verdict(rt, 0.9, true),
    });
  }
  if (r.query) {
    const q = r.query;
    rows.push({
      name: 'query-under-load',
      figure: 'ingest-single load (requests/s)',
      median: int(q.ingest.requestsPerS.median),
      range: spread(q.ingest.requestsPerS, int),
      ceiling: cs ? pct(q.ingest.requestsPerS.median / cs.median) : '–',
      target: `half of max: ${int(q.targetRps)}`,
      status: `ingest p99 ${dec(q.ingest.p99Ms.median)} ms`,
    });
    if (q.idle) {
      const i = q.idle;
      rows.push({
        name: 'query-under-load',
        figure: `for reference, no ingest running: ${QUERY_KINDS.join(', ')} p50 / p99 ms`,
        median: QUERY_KINDS.filter((k) => i[k])
          .map((k) => `${dec(i[k].p50Ms)} / ${dec(i[k].p99Ms)}`)
          .join(', '),
        range: '1 run',
        ...none,
      });
    }
    if (q.floor) {
      const f = q.floor;
      rows.push({
        name: 'query-under-load',
        figure: `floor: the same client and load against the ceiling server (GET answered at once): ${QUERY_KINDS.join(', ')} p50 / p99 ms`,
        median: QUERY_KINDS.filter((k) => f[k])
          .map((k) => `${dec(f[k]!.p50Ms.median)} / ${dec(f[k]!.p99Ms.median)}`)
          .join(', '),
        range: `p99 ${spread(f.user!.p99Ms, (n) => dec(n))} (user)`,
        ...none,
      });
    }
    for (const [kind, label, target] of [
      ['user', 'GET user watch-time', 2],
      ['pair', 'GET pair', 2],
      ['movie', 'GET movie watch-time', 2],
      ['top10', `GET top-10 (${int(q.preload.movies)} movies)`, 5],
      ['retention', 'GET movie retention (§5.3, from every shard)', null],
      ['continueWatching', 'GET continue-watching (§5.2)', null],
    ] as const) {
      const k = q.kinds[kind];
      if (!k) continue;
      rows.push({
        name: 'query-under-load',
        figure: `${label} p50 / p99 ms`,
        median: `${dec(k.p50Ms.median)} / ${dec(k.p99Ms.median)}`,
        range: `p99 ${spread(k.p99Ms, (n) => dec(n))}`,
        ceiling: '',
        target: target === null ? 'reported (§5.5)' : `p99 ≤ ${target} ms`,
        status: (target === null ? '' : verdict(k.p99Ms.median, target, false)) + (k.errors ? ` (${k.errors} non-200)` : ''),
      });
    }
  }
  if (r.memory) {
    const mm = r.memory;
    const n = int(mm.pairs);
    // Runs with the series figure load with insights in use: §5.5's budget; earlier runs: issue 6's v1 target.
    const pairBudget = mm.series ? 160 : 120;
    rows.push({
      name: 'memory',
      figure: `shard RSS, empty (all shards)`,
      median: `${int(mm.emptyRssBytes.median / 2 ** 20)} MB`,
      range: spread(mm.emptyRssBytes, (b) => int(b / 2 ** 20)),
      ...none,
    });
    rows.push({
      name: 'memory',
      figure: `shard RSS at ${n} pairs`,
      median: `${int(mm.rssAtPairsBytes.median / 2 ** 20)} MB`,
      range: spread(mm.rssAtPairsBytes, (b) => int(b / 2 ** 20)),
      ...none,
    });
    rows.push({
      name: 'memory',
      figure: `bytes/pair at ${n} pairs: RSS / pairs`,
      median: int(mm.bytesPerPair.median),
      range: spread(mm.bytesPerPair, int),
      ceiling: '',
      target: `≤ ${pairBudget} B`,
      status: verdict(mm.bytesPerPair.median, pairBudget, false),
    });
    rows.push({
      name: 'memory',
      figure: `bytes/pair at ${n} pairs: (RSS − empty RSS) / pairs`,
      median: int(mm.addedBytesPerPair.median),
      range: spread(mm.addedBytesPerPair, int),
      ceiling: '',
      target: `≤ ${pairBudget} B${mm.series ? ' (§5.5)' : ''}`,
      status: verdict(mm.addedBytesPerPair.median, pairBudget, false),
    });
    rows.push({
      name: 'memory',
      figure: `bytes/pair at ${n} pairs: RssAnon added / pairs`,
      median: int(mm.anonAddedBytesPerPair.median),
      range: spread(mm.anonAddedBytesPerPair, int),
      ...none,
    });
    rows.push({
      name: 'memory',
      figure: `shard RSS after ${int(mm.events)} more events`,
      median: `${int(mm.rssAfterEventsBytes.median / 2 ** 20)} MB`,
      range: spread(mm.rssAfterEventsBytes, (b) => int(b / 2 ** 20)),
      ...none,
    });
    rows.push({
      name: 'memory',
      figure: `bytes/pair after ${int(mm.events)} more events: (RSS − empty RSS) / pairs`,
      median: int(mm.addedBytesPerPairAfterEvents.median),
      range: spread(mm.addedBytesPerPairAfterEvents, int),
      ...none,
    });
    if (mm.anonAddedBytesPerPairAfterEvents) {
      rows.push({
        name: 'memory',
        figure: `bytes/pair after ${int(mm.events)} more events: RssAnon added / pairs`,
        median: int(mm.anonAddedBytesPerPairAfterEvents.median),
        range: spread(mm.anonAddedBytesPerPairAfterEvents, int),
        ...none,
      });
    }
    if (mm.series) {
      const z = mm.series;
      rows.push({
        name: 'memory',
        figure: `series bytes per non-empty movie-hour (${int(z.movies)} movies, ${z.days} days, events in 60 % of the minutes; hours + minutes, allocated)`,
        median: dec(z.bytesPerMovieHour),
        range: '1 run',
        ceiling: '',
        target: 'reported (§5.5)',
        status: '',
      });
    }
  }
  if (r.recovery) {
    const rc = r.recovery;
    rows.push({
      name: 'recovery',
      figure: 'start → /readyz, empty DATA_DIR (pm2 + Node start-up)',
      median: `${int(rc.emptyReadyMs.median)} ms`,
      range: spread(rc.emptyReadyMs, int),
      ...none,
    });
    for (const c of Object.values(rc.cases)) {
      const what = `${int(c.events)} logged events, ${c.snapshot ? 'snapshot of all of them' : 'no snapshot'}`;
      const target = c.snapshot ? 'ready ≤ 2,000 ms' : '';
      rows.push({
        name: 'recovery',
        figure: `start → /readyz ms, ${what}`,
        median: int(c.readyMs.median),
        range: spread(c.readyMs, int),
        ceiling: '',
        target,
        status: c.snapshot ? verdict(c.readyMs.median, 2000, false) : '',
      });
      if (!c.snapshot) {
        rows.push({
          name: 'recovery',
          figure: `replay events/s, ${int(c.events)} events (slowest shard's own time ${int(c.shardRecoveryMs.median)} ms)`,
          median: int(c.replayEventsPerS.median),
          range: spread(c.replayEventsPerS, int),
          ceiling: '',
          target: '≥ 1,000,000',
          status: verdict(c.replayEventsPerS.median, 1_000_000, true),
        });
      } else {
        rows.push({
          name: 'recovery',
          figure: `shards' own recovery ms; shard RSS after it`,
          median: `${int(c.shardRecoveryMs.median)}; ${c.rssBytes ? int(c.rssBytes.median / 2 ** 20) : '–'} MB`,
          range: spread(c.shardRecoveryMs, int),
          ...none,
        });
      }
    }
  }
  if (r.scalingSingle) {
    for (const [shards, v] of Object.entries(r.scalingSingle)) {
      rows.push({
        name: 'scaling',
        figure: `ingest-single events/s, SHARDS=${shards}`,
        median: int(v.eventsPerS.median),
        range: spread(v.eventsPerS, int),
        ceiling: ratio(v.eventsPerS.median, cs),
        target: '',
        status: '',
      });
    }
  }
  if (r.scaling) {
    for (const [shards, v] of Object.entries(r.scaling)) {
      rows.push({
        name: 'scaling',
        figure: `ingest-batch events/s, SHARDS=${shards}`,
        median: int(v.eventsPerS.median),
        range: spread(v.eventsPerS, int),
        ceiling: ratio(v.eventsPerS.median, cb),
        target: '',
        status: '',
      });
    }
  }

  if (r.cluster?.skipped) rows.push({ name: 'cluster', figure: `not measured: ${r.cluster.skipped}`, median: '', range: '', ...none });
  else if (r.cluster && r.cluster.runs.length > 0) {
    const runs = r.cluster.runs;
    const of = (f: (x: ClusterRun) => number): Stat => stat(runs.map(f));
    const where = `3 NATS servers (R3) + 2 hosts, ${runs[0]!.partitions} partitions, both hosts`;
    const b = of((x) => x.batch.eventsPerS);
    const sg = of((x) => x.single.requestsPerS);
    const ready = of((x) => x.killToServedMs);
    rows.push(
      {
        name: 'cluster',
        figure: `events/s in 100-event arrays (${where})`,
        median: int(b.median),
        range: spread(b, int),
        ceiling: ratio(b.median, cb),
        target: '≥ 250,000',
        status: verdict(b.median, 250_000, true),
      },
      {
        name: 'cluster',
        figure: 'batch ack latency p50 / p99 ms',
        median: `${dec(of((x) => x.batch.p50ms).median)} / ${dec(of((x) => x.batch.p99ms).median)}`,
        range: '',
        ...none,
      },
      {
        name: 'cluster',
        figure: `single-event requests/s (${where})`,
        median: int(sg.median),
        range: spread(sg, int),
        ceiling: ratio(sg.median, cs),
        target: '≥ 8,000',
        status: verdict(sg.median, 8_000, true),
      },
      {
        name: 'cluster',
        figure: 'single ack latency p50 / p99 ms',
        median: `${dec(of((x) => x.single.p50ms).median)} / ${dec(of((x) => x.single.p99ms).median)}`,
        range: '',
        ...none,
      },
      {
        name: 'cluster',
        figure: 'kill -9 of a host → every partition writable through the other',
        median: `${int(ready.median)} ms`,
        range: spread(ready, int),
        ...none,
      },
    );
    const withEngine = runs.filter((x) => x.engine).map((x) => x.engine!);
    if (withEngine.length > 0) {
      const e = (shape: 'batch' | 'single'): Stat => stat(withEngine.map((x) => x[shape].eventsPerSec));
      const one = withEngine[0]!;
      const shapeOf = (x: EngineAloneRun): string =>
        `${x.inFlight} requests in flight as ${x.callersPerPartition} item${x.callersPerPartition > 1 ? 's' : ''} of ${x.eventsPerItem} events (${x.itemBytes} B) per partition`;
      rows.push(
        {
          name: 'cluster',
          figure: `the engine alone, the batch load's log items: fenced R3 appends from one process, nothing else running, ${runs[0]!.partitions} partitions, ${shapeOf(one.batch)}: events/s`,
          median: int(e('batch').median),
          range: spread(e('batch'), int),
          ceiling: '',
          target: 'ceiling for the 250,000 above',
          status: `the service reached ${pct(b.median / e('batch').median)} of it`,
        },
        {
          name: 'cluster',
          figure: `the engine alone, the single load's log items (${shapeOf(one.single)}): events/s`,
          median: int(e('single').median),
          range: spread(e('single'), int),
          ceiling: '',
          target: 'ceiling for the 8,000 above',
          status: `the service reached ${pct(sg.median / e('single').median)} of it`,
        },
      );
    }
    const join = of((x) => x.joinMs);
    rows.push({
      name: 'cluster',
      figure: 'a second host joins → it serves its half of the partitions',
      median: `${int(join.median)} ms`,
      range: spread(join, int),
      ...none,
    });
    const timed = runs.filter((x) => x.queries).map((x) => x.queries!);
    if (timed.length > 0) {
      const p = (k: (typeof QUERY_KINDS)[number], f: 'p50Ms' | 'p99Ms'): string => dec(stat(timed.map((q) => q[k][f])).median);
      const errors = timed.reduce((a, q) => a + QUERY_KINDS.reduce((b, k) => b + q[k].errors, 0), 0);
      rows.push({
        name: 'cluster',
        figure: `under the single-event load, through one host: ${QUERY_KINDS.join(', ')} p50 / p99 ms`,
        median: QUERY_KINDS.map((k) => `${p(k, 'p50Ms')} / ${p(k, 'p99Ms')}`).join(', '),
        range: `${timed.length} run${timed.length > 1 ? 's' : ''}`,
        ceiling: '',
        target: 'reported',
        status: errors > 0 ? `${errors} non-200` : '',
      });
    }
  }

  const cpu = [
    '| wrk run | wrk CPU, cores (min – max) | server processes, cores (median) | other processes on the machine, cores (min – max) | errors (socket + non-2xx) |',
    '|---|---:|---|---:|---:|',
    cpuLine('ceiling, single', r.ceiling?.single),
    cpuLine('ceiling, batch', r.ceiling?.batch),
    cpuLine('ingest-single', r.ingestSingle),
    cpuLine('ingest-batch', r.ingestBatch),
    cpuLine('ingest-single, DURABILITY=commit', r.ingestSingleCommit),
    cpuLine('ingest-batch, DURABILITY=commit', r.ingestBatchCommit),
    cpuLine('ingest-single, insights in use', r.ingestSingleInsights),
    cpuLine('ingest-batch, insights in use', r.ingestBatchInsights),
    cpuLine('ingest-single at half rate (query-under-load)', r.query?.ingest),
    ...Object.entries(r.scalingSingle ?? {}).map(([k, v]) => cpuLine(`ingest-single, SHARDS=${k}`, v)),
    ...Object.entries(r.scaling ?? {}).map(([k, v]) => cpuLine(`ingest-batch, SHARDS=${k}`, v)),
  ].filter((x): x is string => x !== null);

  return [
    `Run of **${r.meta.date.slice(0, 10)}** (${r.meta.date}) · ${r.meta.mode} suite in ${int(r.meta.elapsedS)} s · **${m.cores} cores** (${m.cpuModel}) · **${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM** · **Node ${m.node}** · wrk ${m.wrk} · Linux ${m.kernel} · temp DATA_DIR on ${r.meta.tmpFilesystem} · load average at start ${(r.meta.loadAverage ?? []).map((x) => x.toFixed(1)).join(' / ')} · SHARDS=${r.meta.shards} unless stated · git \`${r.meta.git}\``,
    '',
    `Each figure is the median of ${s.runs} runs, with the min – max of those runs. wrk: \`-t1 -c${s.connections}\`, ${s.seconds} s per run after a ${s.warmupSeconds} s warm-up, ceiling and service runs alternating with the same request pools.`,
    '',
    table(rows),
    '',
    'Load tool and server CPU during the wrk runs (1.00 = one core busy; the machine has ' + m.cores + '):',
    '',
    ...cpu,
    '',
    ...peersMarkdown(r),
  ].join('\n');
}

/** The --profile summary: top self time of the front and of shard 0 under each ingest mode. */
export interface ProfiledRun {
  mode: string;
  rps: number;
  eventsPerS: number;
  procCores: Record<string, number>;
  front: ProfileSummary;
  shard: ProfileSummary;
}

export function profileMarkdown(runs: ProfiledRun[], date: string, rows = 12): string {
  const out: string[] = [
    `Profiled ${date.slice(0, 10)} with \`npm run bench -- --profile\` (\`--cpu-prof\`, 10 s of wrk after a 2 s warm-up; self time, % of the process's busy time).`,
    '',
  ];
  for (const r of runs) {
    const cores = Object.entries(r.procCores)
      .map(([k, v]) => `${k} ${dec(v)}`)
      .join(', ');
    out.push(`**${r.mode} ingest** under the profiler: ${int(r.eventsPerS)} events/s (${int(r.rps)} requests/s); CPU cores: ${cores}.`, '');
    for (const [who, s] of [
      ['front', r.front],
      ['shard 0', r.shard],
    ] as const) {
      out.push(
        `<details><summary>${who}, ${r.mode}: busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.totalMs / 1000).toFixed(1)} s; top: ${s.functions
          .slice(0, 3)
          .map((f) => `${f.name.split(' ')[0]} ${f.pct.toFixed(0)}%`)
          .join(', ')}</summary>`,
        '',
        '| self % | function (file:line) |',
        '|---:|---|',
        ...s.functions.slice(0, rows).map((e) => `| ${e.pct.toFixed(1)} | \`${e.name.replace(/\|/g, '\\|')}\` |`),
        '',
        '| self % | module |',
        '|---:|---|',
        ...s.modules.slice(0, 8).map((e) => `| ${e.pct.toFixed(1)} | \`${e.name}\` |`),
        '',
        '</details>',
        '',
      );
    }
  }
  return out.join('\n');
}

/** Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` (appends the pair if absent). */
export function updateSection(file: string, name: string, content: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${content.trimEnd()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
