import t from 'tap';
import { applyClassified, applyHeartbeat, classify, EMPTY_PAIR, LATE, type PairState } from '../../src/shard/watch-rule.js';

const STEP = 60;
const run = (positions: number[], maxStep = STEP): PairState => positions.reduce((s, p, i) => applyHeartbeat(s, p, 1000 + i, maxStep), EMPTY_PAIR);

t.test('first event sets position, counts nothing', async (t) => {
  const s = applyHeartbeat(EMPTY_PAIR, 4500, 1234, STEP);
  t.same(s, { watchTime: 0, at: 4500, furthest: 4500, events: 1, updatedAt: 1234, ts: NaN, lateEvents: 0 });
});

t.test('continuous playback adds the forward step', async (t) => {
  t.equal(run([0, 10, 20, 30]).watchTime, 30);
});

t.test('a step of exactly WATCH_MAX_STEP counts; one just above is a seek', async (t) => {
  t.equal(run([100, 160]).watchTime, 60);
  t.equal(run([100, 160.000001]).watchTime, 0);
});

t.test('pause and duplicate (d = 0) add nothing but count as events', async (t) => {
  const s = run([10, 10, 10]);
  t.equal(s.watchTime, 0);
  t.equal(s.events, 3);
});

t.test('rewind adds nothing, moves `at` back, keeps `furthest`', async (t) => {
  const s = run([0, 50, 20, 30]);
  t.equal(s.watchTime, 60); // 50 + 10
  t.equal(s.at, 30);
  t.equal(s.furthest, 50);
});

t.test('seek forward adds nothing, playback after it counts again', async (t) => {
  const s = run([0, 10, 1000, 1010]);
  t.equal(s.watchTime, 20);
  t.equal(s.furthest, 1010);
});

t.test('fractional positions are summed as float64', async (t) => {
  const s = run([0.5, 1.25, 3.75]);
  t.equal(s.watchTime, 0.75 + 2.5);
});

t.test('updatedAt is the receive time of the latest event', async (t) => {
  t.equal(run([1, 2, 3]).updatedAt, 1002);
});

t.test('WATCH_MAX_STEP is a parameter', async (t) => {
  t.equal(run([0, 5, 15], 5).watchTime, 5);
});

t.test('pure: the previous state is not changed', async (t) => {
  const prev = run([0, 10]);
  const copy = { ...prev };
  applyHeartbeat(prev, 20, 5, STEP);
  t.same(prev, copy);
});

// §5.1: the optional client time `ts`.
type Beat = [at: number, ts?: number];
const runTs = (beats: Beat[], maxStep = STEP): PairState => beats.reduce((s, [at, ts], i) => applyHeartbeat(s, at, 1000 + i, maxStep, ts), EMPTY_PAIR);

t.test('ts: a late heartbeat only counts as an event (and a late one)', async (t) => {
  const s = runTs([
    [100, 5000],
    [110, 6000],
    [50, 5500],
  ]);
  t.same(s, { watchTime: 10, at: 110, furthest: 110, events: 3, updatedAt: 1001, ts: 6000, lateEvents: 1 });
});

t.test('ts: a repeated heartbeat (same ts) is late, even with a new position', async (t) => {
  const s = runTs([
    [100, 5000],
    [110, 5000],
    [110, 5000],
  ]);
  t.same(s, { watchTime: 0, at: 100, furthest: 100, events: 3, updatedAt: 1000, ts: 5000, lateEvents: 2 });
});

t.test('ts: newer heartbeats apply the v1 rule and move pair.ts; ts 0 is a time', async (t) => {
  const s = runTs([
    [0, 0],
    [10, 1],
    [20, 2],
    [20, 0],
  ]);
  t.same(s, { watchTime: 20, at: 20, furthest: 20, events: 4, updatedAt: 1002, ts: 2, lateEvents: 1 });
});

t.test('ts: events without ts follow v1 and leave pair.ts; mixed sequences', async (t) => {
  // No ts yet: a ts that is "small" is still the first one, not late.
  t.same(runTs([[10], [20], [30, 1]]), { watchTime: 20, at: 30, furthest: 30, events: 3, updatedAt: 1002, ts: 1, lateEvents: 0 });
  // A v1 event between two timed ones: applied, pair.ts kept, so an old ts after it is still late.
  const s = runTs([[10, 500], [20], [15, 400], [25, 600]]);
  t.same(s, { watchTime: 15, at: 25, furthest: 25, events: 4, updatedAt: 1003, ts: 600, lateEvents: 1 });
  // v1 events after a late one keep counting from the position before it.
  t.same(runTs([[10, 500], [40, 400], [20]]), { watchTime: 10, at: 20, furthest: 20, events: 3, updatedAt: 1002, ts: 500, lateEvents: 1 });
});

t.test('ts: without any ts the rule is exactly v1', async (t) => {
  const positions = [0, 10, 5, 70, 200, 230.5, 230.5, 290.5];
  const v1 = run(positions);
  t.same(runTs(positions.map((p) => [p])), v1);
  t.equal(v1.lateEvents, 0);
  t.ok(Number.isNaN(v1.ts));
});

t.test('classify: LATE, the counted step, or 0; applyHeartbeat is applyClassified(classify)', async (t) => {
  const s = runTs([[100, 5000]]);
  t.equal(classify(s, 130, STEP, 4000), LATE);
  t.equal(classify(s, 130, STEP, 5000), LATE);
  t.equal(classify(s, 130, STEP, 5001), 30);
  t.equal(classify(s, 130, STEP), 30);
  t.equal(classify(s, 161, STEP), 0);
  t.equal(classify(s, 90, STEP), 0);
  t.equal(classify(EMPTY_PAIR, 10, STEP, 1), 0);
  for (const [at, ts] of [
    [130, 4000],
    [130, 6000],
    [90, undefined],
    [161, 7000],
  ] as const) {
    t.same(applyHeartbeat(s, at, 9, STEP, ts), applyClassified(s, classify(s, at, STEP, ts), at, 9, ts));
  }
});
