import { applyRecord, decodeRecord } from '../src/shard/apply-batch.js';
import { ShardState } from '../src/shard/state.js';
import { eventBatch, movieRecord, packr, type TimedEvent } from '../src/protocol/index.js';

/**
 * Shard-side cost of one event, in process: msgpack decode of the log record + applyRecord into a
 * ShardState, as Shard.settle does after a commit (no socket, no LMDB). Loads PAIRS pairs first
 * (users × PER_USER movies), then times EVENTS heartbeats on them (+10 s each, pairs in a
 * scattered order as concurrent viewers' heartbeats arrive, 100 events per
 * record, received at 20k events/s). Two modes, alternated per repetition:
 *   v1:       plain {user, slug, at} events, no catalogue
 *   insights: every event with a client ts, and a duration PUT for every movie first
 * (retention and series are live in both.) Prints CPU ns/event per repetition and the medians.
 *
 *   node dist/bench/apply-cost.js [pairs=1000000] [events=3000000] [reps=5] [modes=v1,insights]
 */
const [pairs = 1_000_000, events = 3_000_000, reps = 5] = process.argv.slice(2, 5).map(Number);
const modes = (process.argv[5] ?? 'v1,insights').split(',') as Mode[];
type Mode = 'v1' | 'insights';
const PER_USER = 10;
const MOVIES = 10_000;
const PER_RECORD = 100;
/** Receive rate: 20k events/s, a shard's share of a busy service (the series see ~120 events per movie-minute). */
const EVENTS_PER_S = 20_000;
const T0 = 1_750_000_000_000;

function records(mode: Mode, from: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = from; i < from + count; i += PER_RECORD) {
    const receivedAt = T0 + Math.floor((i * 1000) / EVENTS_PER_S);
    const events: TimedEvent[] = [];
    for (let j = i; j < Math.min(i + PER_RECORD, from + count); j++) {
      // Viewers' heartbeats interleave: within a round, pairs in a scattered order (stride 7919, coprime with 10^k).
      const pair = ((j % pairs) * 7919) % pairs;
      const user = Math.floor(pair / PER_USER);
      const round = Math.floor(j / pairs);
      const e: TimedEvent = { user: `user-${user}`, slug: `movie-${(user * 7 + (pair % PER_USER) * 131) % MOVIES}`, at: round * 10 };
      if (mode === 'insights') e.ts = receivedAt - 500 + round;
      events.push(e);
    }
    out.push(packr.pack([eventBatch(receivedAt, null, events)]));
  }
  return out;
}

/** CPU time (user + system, ns) of applying `recs`: steadier than wall time on a shared machine. */
function timed(state: ShardState, recs: Buffer[]): number {
  const started = process.cpuUsage();
  for (const r of recs) applyRecord(state, decodeRecord(r));
  const used = process.cpuUsage(started);
  return (used.user + used.system) * 1000;
}

const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
for (let rep = 0; rep < reps; rep++) {
  for (const mode of modes) {
    const state = new ShardState(60);
    if (mode === 'insights') {
      for (let m = 0; m < MOVIES; m++) applyRecord(state, decodeRecord(packr.pack([movieRecord(T0, `movie-${m}`, 5400, `Movie ${m}`)])));
    }
    timed(state, records(mode, 0, pairs));
    const recs = records(mode, pairs, events);
    const ns = timed(state, recs) / events;
    results.get(mode)!.push(ns);
    console.log(`rep ${rep + 1} ${mode}: ${ns.toFixed(1)} ns/event (${state.pairCount} pairs)`);
  }
}
for (const [mode, r] of results) {
  r.sort((a, b) => a - b);
  console.log(`${mode} events: median ${r[Math.floor(r.length / 2)]!.toFixed(1)} ns/event, min ${r[0]!.toFixed(1)}`);
}
