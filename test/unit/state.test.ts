import t from 'tap';
import { decodeSnapshot, encodeSnapshot } from '../../src/shard/snapshot.js';
import { ShardState } from '../../src/shard/state.js';

t.test('user, pair and movie totals follow the rule', async (t) => {
  const s = new ShardState(60);
  s.apply('u1', 'm1', 0, 1);
  s.apply('u1', 'm1', 30, 2);
  s.apply('u1', 'm2', 10, 3);
  s.apply('u1', 'm2', 15, 4);
  s.apply('u2', 'm1', 100, 5);
  s.apply('u2', 'm1', 500, 6); // seek
  t.same(s.user('u1'), { watchTime: 35, movies: 2 });
  t.same(s.user('u2'), { watchTime: 0, movies: 1 });
  t.same(s.pair('u1', 'm1'), { slug: 'm1', watchTime: 30, at: 30, furthest: 30, events: 2, updatedAt: 2, lateEvents: 0 });
  t.same(s.movies(['m1', 'm2', 'nope']), [
    { slug: 'm1', watchTime: 30, viewers: 2 },
    { slug: 'm2', watchTime: 5, viewers: 1 },
  ]);
  t.equal(s.user('nobody'), null);
  t.equal(s.pair('u1', 'nope'), null);
  t.equal(s.pair('nobody', 'm1'), null);
});

t.test('names are ordinary keys, even __proto__', async (t) => {
  const s = new ShardState(60);
  s.apply('__proto__', 'constructor', 1, 1);
  s.apply('__proto__', 'constructor', 2, 2);
  t.same(s.user('__proto__'), { watchTime: 1, movies: 1 });
  t.equal(s.user('toString'), null);
});

t.test("a user's movies: most recent first, ties by slug", async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'b', 1, 10);
  s.apply('u', 'a', 1, 10);
  s.apply('u', 'c', 1, 5);
  s.apply('u', 'd', 1, 20);
  t.same(
    s.userMovies('u', 50)!.map((p) => p.slug),
    ['d', 'a', 'b', 'c'],
  );
  t.same(
    s.userMovies('u', 2)!.map((p) => p.slug),
    ['d', 'a'],
  );
  t.equal(s.userMovies('x', 5), null);
});

t.test('top k: by watch time, ties by slug, complete flag', async (t) => {
  const s = new ShardState(60);
  const watch = { m1: 10, m2: 30, m3: 30, m4: 5, m5: 0 } as const;
  for (const [slug, w] of Object.entries(watch)) {
    s.apply('u', slug, 0, 1);
    if (w > 0) s.apply('u', slug, w, 2);
  }
  t.same(s.top(3), {
    items: [
      { slug: 'm2', watchTime: 30, viewers: 1 },
      { slug: 'm3', watchTime: 30, viewers: 1 },
      { slug: 'm1', watchTime: 10, viewers: 1 },
    ],
    complete: false,
  });
  t.equal(s.top(5).complete, true);
  t.same(
    s.top(10).items.map((m) => m.slug),
    ['m2', 'm3', 'm1', 'm4', 'm5'],
  );
});

t.test('grows past its initial capacity and stays consistent', async (t) => {
  const s = new ShardState(60);
  for (let i = 0; i < 5000; i++) s.apply(`u${i % 1500}`, `m${i % 2100}`, i % 7, i);
  let pairs = 0;
  for (let u = 0; u < 1500; u++) pairs += s.user(`u${u}`)!.movies;
  t.equal(pairs, s.pairCount);
  t.equal(s.userCount, 1500);
  t.equal(s.movieCount, 2100);
});

t.test('snapshot round trip gives the same answers', async (t) => {
  const s = new ShardState(60);
  for (let i = 0; i < 3000; i++) s.apply(`u${i % 300}`, `m${i % 70}`, (i * 7) % 100, i);
  const bytes = encodeSnapshot({ seq: 42, takenAt: 123, state: s.snapshot() });
  const rec = decodeSnapshot(bytes);
  t.equal(rec.seq, 42);
  const r = ShardState.restore(rec.state, 60);
  for (let u = 0; u < 300; u++) t.same(r.userMovies(`u${u}`, 1000), s.userMovies(`u${u}`, 1000));
  t.same(r.top(70), s.top(70));
  // And it keeps working after restore.
  r.apply('u1', 'm1', 1, 99_999);
  r.apply('new', 'm1', 1, 99_999);
  t.equal(r.pair('u1', 'm1')!.events, s.pair('u1', 'm1')!.events + 1);
  t.equal(r.user('new')!.movies, 1);
});

t.test('a damaged snapshot is detected', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'm', 1, 1);
  const bytes = encodeSnapshot({ seq: 1, takenAt: 1, state: s.snapshot() });
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 3]! ^= 0xff;
  t.throws(() => decodeSnapshot(flipped), { name: 'SnapshotCorrupt' });
  t.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 10)), { name: 'SnapshotCorrupt' });
  t.throws(() => decodeSnapshot(Buffer.from('nope')), { name: 'SnapshotCorrupt' });
});
