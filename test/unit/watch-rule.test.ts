import t from 'tap';
import { applyHeartbeat, EMPTY_PAIR, type PairState } from '../../src/shard/watch-rule.js';

const STEP = 60;
const run = (positions: number[], maxStep = STEP): PairState =>
  positions.reduce((s, p, i) => applyHeartbeat(s, p, 1000 + i, maxStep), EMPTY_PAIR);

t.test('first event sets position, counts nothing', async (t) => {
  const s = applyHeartbeat(EMPTY_PAIR, 4500, 1234, STEP);
  t.same(s, { watchTime: 0, at: 4500, furthest: 4500, events: 1, updatedAt: 1234 });
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
