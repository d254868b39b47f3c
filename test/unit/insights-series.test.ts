import t from 'tap';
import { ShardState } from '../../src/shard/state.js';
import { applyHeartbeat, EMPTY_PAIR, type PairState } from '../../src/shard/watch-rule.js';

// §5.4: minute and hour series by receive time.

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 31, 12, 0, 0); // a bucket boundary

t.test('minute buckets: watch time and events by receive time; idle minutes omitted', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'm', 0, T0);
  s.apply('u', 'm', 10, T0 + 59_999); // same minute
  s.apply('u', 'm', 20, T0 + MIN); // next minute, on its boundary
  s.apply('u', 'm', 30, T0 + 3 * MIN + 1);
  t.same(s.series('m', 'minute', T0, T0 + 10 * MIN), [
    { t: T0, watchTime: 10, events: 2 },
    { t: T0 + MIN, watchTime: 10, events: 1 },
    { t: T0 + 3 * MIN, watchTime: 10, events: 1 },
  ]);
  t.same(s.series('m', 'hour', T0, T0), [{ t: T0, watchTime: 30, events: 4 }]);
});

t.test('a range takes the buckets from floor(from) to floor(to), both ends included', async (t) => {
  const s = new ShardState(60);
  for (let i = 0; i < 5; i++) s.apply('u', 'm', i * 10, T0 + i * MIN);
  t.same(
    s.series('m', 'minute', T0 + MIN, T0 + 3 * MIN)!.map((p) => p.t),
    [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN],
  );
  t.same(
    s.series('m', 'minute', T0 + MIN + 30_000, T0 + 3 * MIN - 1)!.map((p) => p.t),
    [T0 + MIN, T0 + 2 * MIN],
  );
  t.same(s.series('m', 'minute', T0 + 10 * MIN, T0 + 20 * MIN), []);
});

t.test('late events count as events, with no watch time; the overall series sums every movie', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'a', 0, T0, 1000);
  s.apply('u', 'a', 10, T0 + 1, 2000);
  s.apply('u', 'a', 5, T0 + 2, 1500); // late
  s.apply('v', 'b', 0, T0 + 3);
  s.apply('v', 'b', 30, T0 + MIN);
  t.same(s.series('a', 'minute', T0, T0 + MIN), [{ t: T0, watchTime: 10, events: 3 }]);
  t.same(s.series(null, 'minute', T0, T0 + MIN), [
    { t: T0, watchTime: 10, events: 4 },
    { t: T0 + MIN, watchTime: 30, events: 1 },
  ]);
  t.same(s.series(null, 'hour', T0, T0), [{ t: T0, watchTime: 40, events: 5 }]);
  t.equal(s.series('nope', 'minute', T0, T0), null, 'a slug never seen');
  s.putMovie('cat', 100, null);
  t.same(s.series('cat', 'minute', T0, T0), [], 'a catalogued movie with no events here');
});

t.test('a receive time that steps back lands in its own (older) bucket, minutes and hours', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'm', 0, T0 + 5 * MIN);
  s.apply('u', 'm', 10, T0 + 6 * MIN);
  s.apply('u', 'm', 20, T0 + 2 * MIN); // clock went back
  s.apply('u', 'm', 30, T0 + 5 * MIN + 1); // into a closed minute
  s.apply('u', 'm', 40, T0 - HOUR); // into the previous hour
  t.same(s.series('m', 'minute', T0 - HOUR, T0 + 10 * MIN), [
    { t: T0 - HOUR, watchTime: 10, events: 1 },
    { t: T0 + 2 * MIN, watchTime: 10, events: 1 },
    { t: T0 + 5 * MIN, watchTime: 10, events: 2 },
    { t: T0 + 6 * MIN, watchTime: 10, events: 1 },
  ]);
  t.same(s.series('m', 'hour', T0 - HOUR, T0), [
    { t: T0 - HOUR, watchTime: 10, events: 1 },
    { t: T0, watchTime: 30, events: 4 },
  ]);
});

t.test('minutes are kept for at least 24 h and hours for at least 30 days, then dropped', async (t) => {
  const s = new ShardState(60);
  // One event per movie every 10 minutes for 40 days.
  const end = T0 + 40 * 24 * HOUR;
  let at = 0;
  for (let time = T0; time <= end; time += 10 * MIN) s.apply('u', 'm', (at += 10), time);
  const minutes = s.series('m', 'minute', end - 24 * HOUR, end)!;
  t.equal(minutes.length, 24 * 6 + 1, 'every 10-minute point of the last 24 h');
  const hours = s.series('m', 'hour', end - 30 * 24 * HOUR, end)!;
  t.equal(hours.length, 30 * 24 + 1, 'every hour of the last 30 days');
  t.ok(hours.every((h) => h.events === 6 || h.t === Math.floor(end / HOUR) * HOUR));
  t.same(s.series('m', 'minute', T0, T0 + HOUR), [], 'minutes of day 1 are gone');
  t.same(s.series('m', 'hour', T0, T0 + HOUR), [], 'hours of day 1 are gone');
});

t.test('random traffic over many movies matches brute-force sums, minute and hour', async (t) => {
  let seed = 99;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const s = new ShardState(60);
  const pairs = new Map<string, PairState>();
  const sums = new Map<string, { watchTime: number; events: number }>();
  const add = (key: string, gained: number): void => {
    const v = sums.get(key) ?? { watchTime: 0, events: 0 };
    v.watchTime += gained;
    v.events++;
    sums.set(key, v);
  };
  let clock = T0;
  let latest = T0;
  for (let i = 0; i < 20_000; i++) {
    clock += Math.floor(rand() * 2000);
    // Now and then a receive time from the past (the front's clock stepped back), up to 2 hours.
    const time = rand() < 0.01 ? clock - Math.floor(rand() * 2 * HOUR) : clock;
    latest = Math.max(latest, time);
    const user = `u${Math.floor(rand() * 50)}`;
    const slug = `m${Math.floor(rand() * 20)}`;
    const prev = pairs.get(`${user}/${slug}`) ?? EMPTY_PAIR;
    const p = (prev.at === prev.at ? prev.at : 0) + (rand() < 0.9 ? rand() * 20 : -5);
    const next = applyHeartbeat(prev, Math.max(0, p), time, 60);
    pairs.set(`${user}/${slug}`, next);
    s.apply(user, slug, Math.max(0, p), time);
    const gained = next.watchTime - prev.watchTime;
    for (const key of [slug, '*']) {
      add(`${key} m ${Math.floor(time / MIN)}`, gained);
      add(`${key} h ${Math.floor(time / HOUR)}`, gained);
    }
  }
  let mismatches = 0;
  for (const key of ['*', 'm0', 'm7', 'm19']) {
    for (const [step, ms, letter] of [
      ['minute', MIN, 'm'],
      ['hour', HOUR, 'h'],
    ] as const) {
      const from = T0 - 2 * HOUR;
      const got = s.series(key === '*' ? null : key, step, from, latest)!;
      const want = [...sums]
        .filter(([k]) => k.startsWith(`${key} ${letter} `))
        .map(([k, v]) => ({ t: Number(k.split(' ')[2]) * ms, ...v }))
        .filter((p) => p.t >= Math.floor(from / ms) * ms)
        .sort((a, b) => a.t - b.t);
      t.ok(want.length > (step === 'minute' ? 100 : 2), `${key} ${step}: ${want.length} buckets`);
      t.equal(got.length, want.length, `${key} ${step}: bucket count`);
      got.forEach((g, i) => {
        const w = want[i]!;
        if (g.t !== w.t || g.events !== w.events || Math.abs(g.watchTime - w.watchTime) > 1e-6) mismatches++;
      });
    }
  }
  t.equal(mismatches, 0);
});
