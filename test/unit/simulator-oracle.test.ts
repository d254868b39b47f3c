import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/service.js';
import { Oracle } from '../../scripts/simulator/oracle.js';
import type { Heartbeat } from '../../scripts/simulator/viewers.js';

const run = (events: [string, string, number][], maxStep = 60): Oracle => {
  const o = new Oracle(maxStep);
  events.forEach(([user, slug, at], i) => o.acknowledge({ user, slug, at }, 1000 + i));
  return o;
};
const pair = (o: Oracle, user: string, slug: string) => o.pair(user, slug)!.state;
const one = (positions: number[], maxStep = 60) =>
  pair(
    run(
      positions.map((p) => ['u', 'm', p]),
      maxStep,
    ),
    'u',
    'm',
  );

t.test('continuous playback, pauses and duplicates', async (t) => {
  const s = one([0, 10, 10, 10, 20]);
  t.same(s, { watchTime: 20, at: 20, furthest: 20, events: 5, updatedAt: 1004, ts: NaN, lateEvents: 0 });
});

t.test('a seek just past WATCH_MAX_STEP counts nothing; playback after it counts', async (t) => {
  t.equal(one([0, 10, 71, 81]).watchTime, 20); // 10, seek of 61, 10
  t.equal(one([0, 60.5]).watchTime, 0);
  t.equal(one([0, 1000, 1010]).furthest, 1010);
});

t.test('a step of exactly WATCH_MAX_STEP counts', async (t) => {
  t.equal(one([0, 60, 120]).watchTime, 120);
  t.equal(one([0, 30, 60], 30).watchTime, 60);
  t.equal(one([0, 31], 30).watchTime, 0);
});

t.test('rewinds count nothing, move `at` back and keep `furthest`', async (t) => {
  const s = one([100, 110, 50, 60, 60]);
  t.equal(s.watchTime, 20); // 10 before the rewind, 10 after it
  t.equal(s.at, 60);
  t.equal(s.furthest, 110);
  t.equal(s.events, 5);
});

t.test('fractional positions: the float64 sum of the steps in order, not the rounded total', async (t) => {
  const s = one([0.1, 0.2, 0.3]);
  t.equal(s.watchTime, 0.2 - 0.1 + (0.3 - 0.2));
  t.equal(s.watchTime, 0.19999999999999998);
  t.equal(s.at, 0.3);
  t.equal(one([10.25, 20.5, 20.5, 30.125]).watchTime, 19.875);
});

t.test('WATCH_MAX_STEP 0: nothing is ever watched', async (t) => {
  t.equal(one([0, 10, 20], 0).watchTime, 0);
});

t.test('several users and movies: user totals, movie totals and viewer counts', async (t) => {
  const o = run([
    ['u1', 'm1', 0],
    ['u2', 'm1', 100],
    ['u1', 'm1', 10],
    ['u1', 'm2', 5],
    ['u2', 'm1', 130],
    ['u1', 'm1', 20],
    ['u3', 'm2', 0],
    ['u2', 'm1', 200], // seek of 70
    ['u1', 'm2', 15],
    ['u2', 'm1', 210],
  ]);
  t.same(o.user('u1'), { watchTime: 30, movies: 2 });
  t.same(o.user('u2'), { watchTime: 40, movies: 1 });
  t.same(o.user('u3'), { watchTime: 0, movies: 1 });
  t.match(o.movie('m1'), { watchTime: 60, viewers: 2 });
  t.same(o.retention('m1'), [1, 0, 0, 1, 1, 0, 1]); // u1 0..20, u2 100..130 and 200..210
  t.match(o.movie('m2'), { watchTime: 10, viewers: 2 });
  t.same(o.retention('m2'), [1]);
  t.equal(o.pairCount, 4);
  t.equal(o.acknowledged, 10);
  t.equal(pair(o, 'u2', 'm1').furthest, 210);
  t.equal(o.user('nobody'), undefined);
  t.equal(o.pair('u3', 'm1'), undefined);
  t.equal(o.movie('m3'), undefined);
});

t.test('names that are Object.prototype keys are ordinary names', async (t) => {
  const o = run([
    ['__proto__', 'constructor', 0],
    ['__proto__', 'constructor', 10],
    ['constructor', '__proto__', 5],
  ]);
  t.same(o.user('__proto__'), { watchTime: 10, movies: 1 });
  t.same(o.movie('__proto__'), { watchTime: 0, viewers: 1, retention: [] });
});

t.test('user totals add the same increments the service adds (after - before), in order', async (t) => {
  const o = run([
    ['u', 'a', 0.1],
    ['u', 'b', 1e9 - 1],
    ['u', 'a', 0.7],
    ['u', 'b', 1e9],
  ]);
  const a = 0 + (0.7 - 0.1) - 0; // pair a's gain
  const b = 0 + (1e9 - (1e9 - 1)) - 0;
  t.equal(o.user('u')!.watchTime, 0 + a + b);
});

t.test('ambiguous attempts widen the events bound; lost events make pair, user and movie uncertain', async (t) => {
  const o = new Oracle(60);
  const e: Heartbeat = { user: 'u', slug: 'm', at: 0 };
  o.maybeApplied(e); // first attempt 503'd, maybe stored
  t.equal(o.pair('u', 'm'), undefined, 'no acknowledged event yet');
  t.equal(o.movie('m'), undefined);
  o.acknowledge(e);
  t.equal(o.pair('u', 'm')!.maybeDuplicates, 1);
  t.same(o.movie('m'), { watchTime: 0, viewers: 1, retention: [] }, 'the viewer counts once, on the acknowledged event');
  o.lost({ user: 'u', slug: 'x', at: 5 });
  t.ok(o.isUncertainPair('u', 'x'));
  t.notOk(o.isUncertainPair('u', 'm'));
  t.ok(o.uncertainUsers.has('u'));
  t.ok(o.uncertainMovies.has('x'));
});

t.test('the oracle uses the service rule, it does not restate it', async (t) => {
  const dir = join(ROOT, 'scripts/simulator');
  const oracle = readFileSync(join(dir, 'oracle.ts'), 'utf8');
  t.match(oracle, /from '\.\.\/\.\.\/src\/shard\/watch-rule\.js'/);
  t.match(oracle, /classify\(/);
  t.match(oracle, /applyClassified\(/);
  t.match(oracle, /stepBuckets\(/, "retention buckets from the shard's own range function");
  t.match(oracle, /progressOf\(/);
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    t.notMatch(src, /<=\s*(this\.)?maxStep/, `${f} has no second copy of the step test`);
  }
});

t.test('ts: late and repeated heartbeats change nothing but events and lateEvents; mixed with events without ts', async (t) => {
  const o = new Oracle(60);
  const at = (p: number, ts?: number): Heartbeat => (ts === undefined ? { user: 'u', slug: 'm', at: p } : { user: 'u', slug: 'm', at: p, ts });
  [at(0, 1000), at(10, 2000), at(5, 1500), at(10, 2000), at(20), at(3, 1999), at(30, 2500)].forEach((e, i) => o.acknowledge(e, 1000 + i));
  const s = o.pair('u', 'm')!.state;
  t.same([s.watchTime, s.at, s.furthest, s.events, s.lateEvents, s.ts], [30, 30, 30, 7, 3, 2500]);
  t.equal(o.lateEvents, 3);
  t.same(o.retention('m'), [1], 'late events cover nothing');
});

t.test('retention: distinct users per bucket, seeks and rewinds, bucket edges', async (t) => {
  const o = new Oracle(60);
  const ack = (user: string, ...ps: number[]) => ps.forEach((p) => o.acknowledge({ user, slug: 'm', at: p }));
  ack('a', 0, 30, 60); // [0,30) and [30,60): buckets 0, 1
  ack('b', 29.5, 30.5, 200, 210); // 29.5 -> 30.5 covers 0 and 1; the seek covers nothing; 200 -> 210: bucket 6
  ack('c', 100, 40, 50, 40, 50); // rewind, 40 -> 50 twice: bucket 1 once
  t.same(o.retention('m'), [2, 3, 0, 0, 0, 0, 1]);
  o.catalogue.set('m', { duration: 301, title: null });
  t.equal(o.retention('m').length, 11, 'padded to ceil(duration / 30)');
});

t.test('completions, progress and continue-watching follow the final catalogue', async (t) => {
  const o = new Oracle(60);
  const ack = (user: string, slug: string, ...ps: number[]) => ps.forEach((p) => o.acknowledge({ user, slug, at: p }));
  ack('u', 'a', 0, 50); // 50 of 100: resume at 50
  ack('u', 'b', 0, 60, 90); // 90 of 100: completed
  ack('u', 'c', 0, 4); // 4 of 100: below 5 %, start again
  ack('u', 'd', 0, 10); // no duration
  ack('u', 'a', 50); // 'a' updated last
  t.equal(o.completions('b'), undefined);
  for (const s of ['a', 'b', 'c']) o.catalogue.set(s, { duration: 100, title: s === 'a' ? 'A' : null });
  t.equal(o.completions('b'), 1);
  t.equal(o.completions('a'), 0);
  t.same(
    o.continueWatching('u').map((c) => [c.slug, c.resumeAt, c.progress, c.title]),
    [['a', 50, 0.5, 'A']],
  );
  ack('u', 'c', 5);
  t.same(
    o.continueWatching('u').map((c) => c.slug),
    ['c', 'a'],
    'most recently updated first',
  );
  o.catalogue.set('b', { duration: 1000, title: null });
  t.equal(o.completions('b'), 0, 'a longer duration un-completes');
  t.same(
    o.continueWatching('u').map((c) => c.slug),
    ['c', 'a', 'b'],
  );
});

t.test('series truth: exact buckets, straddlers allowed in either, other traffic only with exclusive off', async (t) => {
  const o = new Oracle(60);
  const m0 = 1_800_000_000_000 - (1_800_000_000_000 % 3_600_000); // an hour start
  o.acknowledge({ user: 'u', slug: 's', at: 0 }, m0 + 10, m0 + 5);
  o.acknowledge({ user: 'u', slug: 's', at: 10 }, m0 + 60_010, m0 + 60_001);
  o.acknowledge({ user: 'u', slug: 's', at: 20 }, m0 + 120_001, m0 + 119_999); // straddles minutes 1 and 2
  const minutes = (...b: [number, number, number][]) => new Map(b.map(([m, w, e]) => [m0 + m * 60_000, { watchTime: w, events: e }]));
  t.same(o.series.check('s', 'minute', minutes([0, 0, 1], [1, 10, 1], [2, 10, 1]), true, 1e-9), []);
  t.same(o.series.check('s', 'minute', minutes([0, 0, 1], [1, 20, 2]), true, 1e-9), []);
  t.not(o.series.check('s', 'minute', minutes([0, 0, 1], [1, 20, 2], [5, 1, 1]), true, 1e-9).length, 0, 'an extra bucket');
  t.not(o.series.check('s', 'minute', minutes([0, 0, 1], [1, 10, 1]), true, 1e-9).length, 0, 'a missing event');
  t.same(o.series.check('s', 'hour', new Map([[m0, { watchTime: 20, events: 3 }]]), true, 1e-9), []);
  t.same(o.series.check('s', 'hour', new Map([[m0, { watchTime: 25, events: 4 }]]), false, 1e-9), [], 'at least ours');
  t.not(o.series.check('s', 'hour', new Map([[m0, { watchTime: 25, events: 4 }]]), true, 1e-9).length, 0);
});
