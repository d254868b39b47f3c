import { ShardState } from '../src/shard/state.js';
import { seriesSize } from './series-size.js';

/**
 * Memory of one shard's state, in process (run with --expose-gc): RSS and V8 (heap + array
 * buffers) after GC, before and after loading, divided by the pairs. Not a timed test.
 *
 *   node --expose-gc dist/bench/insights-memory.js [pairs=1000000] [rounds=10]
 *
 * Workload (as `npm run bench`'s memory section: 10 pairs a user, 10,000 movies): every movie has
 * a duration (catalogue), every event a client ts, `rounds` heartbeats 10 s apart per pair (so
 * retention and the series are live); 20 % of the pairs seek once and 5 % seek four times (more
 * intervals, in the pool). Then bench/series-size's figure: bytes per non-empty movie-hour.
 */
const [pairs = 1_000_000, rounds = 10] = process.argv.slice(2).map(Number);
const PER_USER = 10;
const MOVIES = 10_000;
const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

interface Usage {
  rss: number;
  v8: number;
}
function usage(): Usage {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, v8: m.heapUsed + m.arrayBuffers };
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
const state = new ShardState(60);
// The same script measures the build before insights (no putMovie there; the ts argument is ignored).
const put = (state as Partial<Pick<ShardState, 'putMovie'>>).putMovie?.bind(state);
const before = usage();
if (put) for (let m = 0; m < MOVIES; m++) put(`movie-${m}`, 5400, `Movie number ${m}`);
const pairName = (pair: number): [string, string] => {
  const user = Math.floor(pair / PER_USER);
  return [`user-${user}`, `movie-${(user * 7 + (pair % PER_USER) * 131) % MOVIES}`];
};
let time = T0;
for (let r = 0; r < rounds; r++) {
  for (let p = 0; p < pairs; p++) {
    const [user, slug] = pairName((p * 7919) % pairs);
    let at = r * 10;
    const seeker = p % 20; // 0..3: seek once (20 %); 4: seek four times (5 %)
    if (seeker < 4 && r >= rounds / 2) at += 1000;
    if (seeker === 4) at += Math.floor(r / 2) * 600; // jumps: 4+ disjoint intervals
    time += 0.05; // 20k events/s
    state.apply(user, slug, at, Math.floor(time), Math.floor(time));
  }
}
const after = usage();
const perPair = (k: keyof Usage): string => ((after[k] - before[k]) / pairs).toFixed(1);
console.log(
  `${state.pairCount} pairs, ${state.userCount} users, ${state.movieCount} movies, ${rounds} events a pair${put ? ' (insights: catalogue, ts, retention, series)' : ' (build without insights)'}`,
);
console.log(`  RSS ${mb(before.rss)} -> ${mb(after.rss)}: ${perPair('rss')} bytes/pair;  V8 heap + array buffers: ${perPair('v8')} bytes/pair`);

if (put) {
  const z = seriesSize(1000, 40);
  console.log(
    `series (1000 movies, 40 days): ${z.bytesPerMovieHour.toFixed(0)} bytes per non-empty movie-hour, allocated sizes (node dist/bench/series-size.js for more)`,
  );
}
