import t from 'tap';
import { MovieLeaders } from '../../src/shard/movie-leaders.js';
import { ShardState } from '../../src/shard/state.js';

function prng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** The reference: sort every movie (watch time desc, slug asc). */
function scanTop(watch: Float64Array, names: string[], k: number): number[] {
  return names
    .map((_, id) => id)
    .sort((a, b) => watch[b]! - watch[a]! || (names[a]! < names[b]! ? -1 : 1))
    .slice(0, k);
}

t.test('the leaders answer exactly what a full scan answers, through trims and new movies', async (t) => {
  for (let seed = 1; seed <= 10; seed++) {
    const rnd = prng(seed);
    const names: string[] = [];
    const watch = new Float64Array(4096);
    // Built after some movies exist (as after a restore) on odd seeds.
    let leaders = seed % 2 === 0 ? new MovieLeaders() : null;
    let checks = 0;
    for (let step = 0; step < 20_000; step++) {
      if (step === 500 && leaders === null) leaders = new MovieLeaders(false);
      if (names.length < 3000 && rnd() < 0.3) {
        names.push(`m${Math.floor(rnd() * 1e9)}-${names.length}`);
        leaders?.touched(names.length - 1, watch, names);
        continue;
      }
      const id = Math.floor(rnd() ** 3 * names.length);
      if (id >= names.length) continue;
      // Small integer gains, so totals tie often and the slug decides.
      watch[id]! += Math.floor(rnd() * 3);
      leaders?.touched(id, watch, names);
      if (leaders && step % 197 === 0) {
        const all = scanTop(watch, names, names.length);
        for (const k of [1, 10, 256, 257, 5000]) {
          const got = leaders.top(k, { count: names.length, watch, names });
          const want = all.slice(0, k);
          if (got.join() !== want.join()) {
            t.same(got, want, `seed ${seed} step ${step} k ${k}`);
            return;
          }
          checks++;
        }
      }
    }
    t.ok(checks > 200, `seed ${seed}: ${checks} comparisons`);
  }
});

t.test('a restored shard answers top-k like the original', async (t) => {
  const s = new ShardState(60);
  const rnd = prng(7);
  for (let i = 0; i < 30_000; i++) s.apply(`u${Math.floor(rnd() * 500)}`, `m${Math.floor(rnd() ** 2 * 2000)}`, Math.floor(rnd() * 8) * 10, i);
  const r = ShardState.restore(s.snapshot(), 60);
  for (const k of [1, 10, 100, 1000]) t.same(r.top(k), s.top(k), `k ${k}`);
  for (let i = 0; i < 5_000; i++) {
    const e = [`u${Math.floor(rnd() * 500)}`, `m${Math.floor(rnd() ** 2 * 2500)}`, Math.floor(rnd() * 8) * 10, 30_000 + i] as const;
    s.apply(...e);
    r.apply(...e);
  }
  for (const k of [1, 10, 100, 1000]) t.same(r.top(k), s.top(k), `after more events, k ${k}`);
});
