import { applyRecord, decodeRecord } from '../src/shard/apply-batch.js';
import { ShardState } from '../src/shard/state.js';
import { packr, type IngestBatch } from '../src/transport/messages.js';

/**
 * Shard-side cost of one event, in process: msgpack decode of the log record + applyRecord into a
 * ShardState, as Shard.settle does after a commit (no socket, no LMDB). Loads PAIRS pairs first
 * (users × PER_USER movies), then times EVENTS heartbeats on them (+10 s each, 100 events per
 * record, the receive time advancing 1 s per record). Prints ns/event per repetition and the median.
 *
 *   node dist/bench/apply-cost.js [pairs=1000000] [events=3000000] [reps=5]
 */
const [pairs = 1_000_000, events = 3_000_000, reps = 5] = process.argv.slice(2).map(Number);
const PER_USER = 10;
const MOVIES = 10_000;
const PER_RECORD = 100;

function records(from: number, count: number, step: number, t0: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = from; i < from + count; i += PER_RECORD) {
    const batch: IngestBatch = [t0 + Math.floor(i / PER_RECORD) * 1000, null];
    for (let j = i; j < Math.min(i + PER_RECORD, from + count); j++) {
      const pair = j % pairs;
      const user = Math.floor(pair / PER_USER);
      batch.push(`user-${user}`, `movie-${(user * 7 + (pair % PER_USER) * 131) % MOVIES}`, Math.floor(j / pairs) * step);
    }
    out.push(packr.pack([batch]));
  }
  return out;
}

function timed(state: ShardState, recs: Buffer[]): number {
  const started = process.hrtime.bigint();
  for (const r of recs) applyRecord(state, decodeRecord(r));
  return Number(process.hrtime.bigint() - started);
}

const results: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const state = new ShardState(60);
  timed(state, records(0, pairs, 10, 1_750_000_000_000));
  const recs = records(pairs, events, 10, 1_750_000_000_000 + pairs * 10);
  const ns = timed(state, recs) / events;
  results.push(ns);
  console.log(`rep ${rep + 1}: ${ns.toFixed(1)} ns/event (${state.pairCount} pairs)`);
}
results.sort((a, b) => a - b);
console.log(`v1 events: median ${results[Math.floor(results.length / 2)]!.toFixed(1)} ns/event, min ${results[0]!.toFixed(1)}`);
