import t from 'tap';
import { MAX_BUCKETS, stepBuckets } from '../../src/shard/insights/coverage.js';
import { ShardState } from '../../src/shard/state.js';
import { classify, EMPTY_PAIR, applyClassified, type PairState } from '../../src/shard/watch-rule.js';

// §5.3: distinct viewers per 30-second bucket.

t.test('stepBuckets: floor(a/B) .. ceil(p/B) - 1, at the edges', async (t) => {
  t.same(stepBuckets(0, 30, 30), [0, 1], 'ends on a boundary: not the next bucket');
  t.same(stepBuckets(30, 60, 30), [1, 2], 'starts on a boundary');
  t.same(stepBuckets(29, 31, 30), [0, 2], 'crosses one boundary');
  t.same(stepBuckets(29.5, 30.5, 30), [0, 2], 'fractional');
  t.same(stepBuckets(0, 0.001, 30), [0, 1]);
  t.same(stepBuckets(10, 70, 30), [0, 3], 'a 60 s step spans three buckets');
  t.same(stepBuckets(4095 * 30 + 5, 4096 * 30 + 20, 30), [4095, MAX_BUCKETS], 'cut at 4096 buckets');
  const [lo, hi] = stepBuckets(4096 * 30, 4096 * 30 + 10, 30);
  t.ok(lo >= hi, 'past 4096·B: nothing');
});

const retention = (s: ShardState, slug: string) => s.retention(slug)!.buckets;

t.test('a viewer counts once per bucket, however often it plays it', async (t) => {
  const s = new ShardState(60);
  for (const at of [0, 10, 20, 30, 40]) s.apply('u', 'm', at, 1);
  t.same(retention(s, 'm'), [1, 1]);
  for (const at of [0, 10, 20, 30, 40, 50]) s.apply('u', 'm', at, 2); // rewind, play again
  t.same(retention(s, 'm'), [1, 1]);
  for (const at of [0, 25, 65]) s.apply('v', 'm', at, 3);
  t.same(retention(s, 'm'), [2, 2, 1]);
  t.same(s.retention('m'), { slug: 'm', bucketSeconds: 30, viewers: 2, buckets: [2, 2, 1] });
});

t.test('a seek is not coverage; playback after it opens another interval that can join', async (t) => {
  const s = new ShardState(60);
  for (const at of [0, 20, 300, 310, 100, 110]) s.apply('u', 'm', at, 1);
  // 0→20: bucket 0; seek to 300; 300→310: bucket 10; rewind to 100; 100→110: bucket 3.
  t.same(retention(s, 'm'), [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
  for (const at of [20, 40, 60, 80, 100]) s.apply('u', 'm', at, 2); // fills the gap 0..3
  t.same(retention(s, 'm'), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]);
});

t.test('the first event, late events and seeks count no bucket', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'm', 45, 1, 100);
  t.same(retention(s, 'm'), []);
  s.apply('u', 'm', 55, 2, 90); // late: nothing
  t.same(retention(s, 'm'), []);
  s.apply('u', 'm', 55, 3, 110);
  t.same(retention(s, 'm'), [0, 1]);
  t.same(s.retention('never'), null);
});

t.test('a duration-only movie answers empty buckets; the duration is in the partial', async (t) => {
  const s = new ShardState(60);
  s.putMovie('m', 95, null);
  t.same(s.retention('m'), { slug: 'm', bucketSeconds: 30, viewers: 0, buckets: [], duration: 95 });
});

t.test('RETENTION_BUCKET_S is a parameter', async (t) => {
  const s = new ShardState(60, undefined, { completeRatio: 0.9, resumeMinRatio: 0.05, retentionBucketS: 10 });
  for (const at of [0, 15, 25]) s.apply('u', 'm', at, 1);
  t.same(s.retention('m'), { slug: 'm', bucketSeconds: 10, viewers: 1, buckets: [1, 1, 1] });
});

/** Brute force: every counted step's buckets, as a set per (user, slug), with the one rule. */
function expected(events: [string, string, number][], maxStep: number, bucketS: number): Map<string, number[]> {
  const pairs = new Map<string, PairState>();
  const covered = new Map<string, Set<number>>();
  for (const [user, slug, at] of events) {
    const key = `${user}\u0000${slug}`;
    const prev = pairs.get(key) ?? EMPTY_PAIR;
    const step = classify(prev, at, maxStep);
    if (step > 0) {
      const [lo, hi] = stepBuckets(prev.at, at, bucketS);
      let set = covered.get(key);
      if (!set) covered.set(key, (set = new Set()));
      for (let b = lo; b < hi; b++) set.add(b);
    }
    pairs.set(key, applyClassified(prev, step, at, 0));
  }
  const bySlug = new Map<string, number[]>();
  for (const [key, set] of covered) {
    const slug = key.split('\u0000')[1]!;
    const counts = bySlug.get(slug) ?? [];
    for (const b of set) {
      while (counts.length <= b) counts.push(0);
      counts[b]!++;
    }
    bySlug.set(slug, counts);
  }
  return bySlug;
}

t.test('random playback with seeks and rewinds matches a brute-force count (single intervals and pooled ones)', async (t) => {
  let seed = 12345;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let pooled3 = 0;
  for (let round = 0; round < 20; round++) {
    const s = new ShardState(60);
    const events: [string, string, number][] = [];
    const at = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const user = `u${Math.floor(rand() * 30)}`;
      const slug = `m${Math.floor(rand() * 3)}`;
      const key = `${user}/${slug}`;
      const r = rand();
      let p = at.get(key) ?? 0;
      if (r < 0.75)
        p += rand() * 40; // playback, fractional
      else if (r < 0.85)
        p = Math.floor(rand() * 200) * 30; // seek onto a boundary
      else if (r < 0.95)
        p = Math.max(0, p - rand() * 300); // rewind
      else p += 30; // exactly one bucket
      at.set(key, p);
      events.push([user, slug, p]);
      s.apply(user, slug, p, i);
    }
    // The case must reach the pool (pairs with more than one interval, blocks grown past two), not only the row word.
    const pooled = (s as unknown as { insights: { coverage: { snapshot(): { pooled: Uint32Array } } } }).insights.coverage.snapshot().pooled;
    for (let i = 0; i < pooled.length; i += 2 + 2 * pooled[i + 1]!) if (pooled[i + 1]! > 2) pooled3++;
    for (const [slug, counts] of expected(events, 60, 30)) {
      const got = retention(s, slug);
      let n = counts.length;
      while (n > 0 && counts[n - 1] === 0) n--;
      if (JSON.stringify(got) !== JSON.stringify(counts.slice(0, n))) {
        t.same(got, counts.slice(0, n), `round ${round} ${slug}`);
        return;
      }
    }
  }
  t.ok(pooled3 > 0, `${pooled3} pairs had more than two intervals`);
  t.pass('20 rounds of 3000 events agree');
});

t.test('positions past 4096 buckets are not tracked', async (t) => {
  const s = new ShardState(60);
  for (const at of [4095 * 30 + 10, 4095 * 30 + 50, 4095 * 30 + 90]) s.apply('u', 'm', at, 1);
  const b = retention(s, 'm');
  t.equal(b.length, 4096);
  t.equal(b[4095], 1);
});
