import t from 'tap';
import type { MoviePartial } from '../../src/protocol/index.js';
import { ShardState } from '../../src/shard/state.js';
import { byWatchTimeThenSlug, mergePartials, topMovies } from '../../src/protocol/index.js';

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

async function distributedTop(states: ShardState[], limit: number): Promise<{ items: MoviePartial[]; rounds: number; partialRounds: number }> {
  let rounds = 0;
  let partialRounds = 0;
  const items = await topMovies(
    limit,
    async (k) => {
      rounds++;
      return states.map((s) => s.top(k));
    },
    async (slugs) => {
      partialRounds++;
      return states.map((s) => s.movies(slugs));
    },
  );
  return { items, rounds, partialRounds };
}

function exactTop(states: ShardState[], limit: number): MoviePartial[] {
  return mergePartials(states.map((s) => s.top(1e9).items))
    .sort(byWatchTimeThenSlug)
    .slice(0, limit);
}

t.test('equals the exact global order on random data with ties', async (t) => {
  // Both ways of settling must be exercised: from the top lists alone, and with a partials round.
  const settled = { lists: 0, partials: 0 };
  for (let seed = 1; seed <= 100; seed++) {
    const states = shardsWith(seed, 1 + (seed % 4), 50, 40, 600);
    for (const limit of [1, 3, 10, 100]) {
      const { items, partialRounds } = await distributedTop(states, limit);
      t.same(items, exactTop(states, limit), `seed ${seed} limit ${limit}`);
      settled[partialRounds === 0 ? 'lists' : 'partials']++;
    }
  }
  t.ok(settled.lists > 20 && settled.partials > 20, `settled from the lists ${settled.lists} times, with partials ${settled.partials}`);
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

t.test('one round trip when shards look alike', async (t) => {
  // Continuous playback (every heartbeat 10 s after the pair's last) on skewed popularity: each
  // movie's watch time splits about evenly between the shards, as users are hashed uniformly.
  const rnd = prng(7);
  const states = [new ShardState(60), new ShardState(60)];
  const position = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const u = Math.floor(rnd() * 2000);
    const m = Math.floor(rnd() ** 3 * 500);
    const key = `u${u} m${m}`;
    const at = (position.get(key) ?? -10) + 10;
    position.set(key, at);
    states[u % 2]!.apply(`u${u}`, `m${m}`, at, i);
  }
  const { items, rounds, partialRounds } = await distributedTop(states, 10);
  t.same(items, exactTop(states, 10));
  t.equal(rounds, 1, 'one top-k round');
  t.equal(partialRounds, 0, 'settled from the top lists: no partials round');
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
