import t from 'tap';
import { ShardState, type MoviePartial } from '../../src/shard/state.js';
import { byWatchTimeThenSlug, mergePartials, topMovies } from '../../src/front/top-movies.js';

/** A deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function shardsWith(seed: number, shards: number, users: number, movies: number, events: number): ShardState[] {
  const rnd = prng(seed);
  const states = Array.from({ length: shards }, () => new ShardState(60));
  for (let i = 0; i < events; i++) {
    const u = Math.floor(rnd() * users);
    // Skewed popularity, and small integer steps so many totals tie.
    const m = Math.floor(rnd() ** 2 * movies);
    states[u % shards]!.apply(`u${u}`, `m${m}`, Math.floor(rnd() * 4) * 10, i);
  }
  return states;
}

async function distributedTop(states: ShardState[], limit: number): Promise<{ items: MoviePartial[]; rounds: number }> {
  let rounds = 0;
  const items = await topMovies(
    limit,
    async (k) => {
      rounds++;
      return states.map((s) => s.top(k));
    },
    async (slugs) => states.map((s) => s.movies(slugs)),
  );
  return { items, rounds };
}

function exactTop(states: ShardState[], limit: number): MoviePartial[] {
  return mergePartials(states.map((s) => s.top(1e9).items)).sort(byWatchTimeThenSlug).slice(0, limit);
}

t.test('equals the exact global order on random data with ties', async (t) => {
  for (let seed = 1; seed <= 100; seed++) {
    const states = shardsWith(seed, 1 + (seed % 4), 50, 40, 600);
    for (const limit of [1, 3, 10, 100]) {
      const { items } = await distributedTop(states, limit);
      t.same(items, exactTop(states, limit), `seed ${seed} limit ${limit}`);
    }
  }
});

t.test('a movie moderately placed on every shard beats local leaders', async (t) => {
  const a = new ShardState(60);
  const b = new ShardState(60);
  const watch = (s: ShardState, user: string, slug: string, w: number) => {
    s.apply(user, slug, 0, 1);
    s.apply(user, slug, w, 2);
  };
  watch(a, 'a1', 'only-a', 50);
  watch(a, 'a2', 'both', 40);
  watch(b, 'b1', 'only-b', 50);
  watch(b, 'b2', 'both', 40);
  const { items } = await distributedTop([a, b], 1);
  t.same(items, [{ slug: 'both', watchTime: 80, viewers: 2 }]);
});

t.test('usually one round when shards look alike', async (t) => {
  const states = shardsWith(7, 2, 2000, 500, 20_000);
  const { items, rounds } = await distributedTop(states, 10);
  t.same(items, exactTop(states, 10));
  t.ok(rounds <= 2, `rounds: ${rounds}`);
});

t.test('no movies at all', async (t) => {
  const { items } = await distributedTop([new ShardState(60), new ShardState(60)], 10);
  t.same(items, []);
});

t.test('ties at the bound (many movies at 0) settle without reading every movie', async (t) => {
  const states = [new ShardState(60), new ShardState(60)];
  for (let m = 0; m < 2000; m++) states[m % 2]!.apply(`u${m % 2}`, `zero-${String(m).padStart(4, '0')}`, 0, 1);
  const { items, rounds } = await distributedTop(states, 10);
  t.same(items, exactTop(states, 10));
  t.equal(rounds, 1);
});
