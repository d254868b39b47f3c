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
const one = (positions: number[], maxStep = 60) => pair(run(positions.map((p) => ['u', 'm', p]), maxStep), 'u', 'm');

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
  t.same(o.movie('m1'), { watchTime: 60, viewers: 2 });
  t.same(o.movie('m2'), { watchTime: 10, viewers: 2 });
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
  t.same(o.movie('__proto__'), { watchTime: 0, viewers: 1 });
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
  t.same(o.movie('m'), { watchTime: 0, viewers: 1 }, 'the viewer counts once, on the acknowledged event');
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
  t.match(oracle, /applyHeartbeat\(/);
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    t.notMatch(src, /<=\s*(this\.)?maxStep/, `${f} has no second copy of the step test`);
  }
});
