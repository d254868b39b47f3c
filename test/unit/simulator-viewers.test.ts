import t from 'tap';
import { Zipf } from '../../scripts/simulator/random.js';
import { DEFAULT_BEHAVIOUR, movieDurations, ViewerModel, type Behaviour, type Heartbeat } from '../../scripts/simulator/viewers.js';

const catalogue = (viewers: number, movies: number) => ({
  users: Array.from({ length: viewers }, (_, i) => `u${i}`),
  slugs: Array.from({ length: movies }, (_, i) => `m${i}`),
  durations: movieDurations(movies, 1),
  popularity: new Zipf(movies, 1),
});

/** Per pair, the kinds of steps seen. */
function steps(events: Heartbeat[], maxStep: number) {
  const last = new Map<string, number>();
  const kinds = { first: 0, play: 0, pause: 0, exact: 0, seek: 0, rewind: 0, fractional: 0 };
  for (const e of events) {
    const key = `${e.user}\u0000${e.slug}`;
    const prev = last.get(key);
    last.set(key, e.at);
    if (!Number.isInteger(e.at)) kinds.fractional++;
    if (prev === undefined) kinds.first++;
    else if (e.at === prev) kinds.pause++;
    else if (e.at < prev) kinds.rewind++;
    else if (e.at - prev === maxStep) kinds.exact++;
    else if (e.at - prev > maxStep) kinds.seek++;
    else kinds.play++;
  }
  return kinds;
}

t.test('sessions mix playback, pauses, exact steps, seeks, rewinds and fractional positions', async (t) => {
  const m = new ViewerModel(catalogue(50, 30), DEFAULT_BEHAVIOUR, 1);
  const events: Heartbeat[] = [];
  for (let i = 0; i < 40_000; i++) events.push(m.next(i % 50));
  const k = steps(events, DEFAULT_BEHAVIOUR.maxStep);
  t.ok(k.play > 30_000, `mostly playback: ${JSON.stringify(k)}`);
  for (const kind of ['pause', 'exact', 'seek', 'rewind', 'fractional'] as const) t.ok(k[kind] > 50, `${kind}: ${k[kind]}`);
  t.ok(events.every((e) => Number.isFinite(e.at) && e.at >= 0 && e.at <= 10_800));
  t.ok(new Set(events.map((e) => e.slug)).size > 10, 'viewers switch movies');
});

t.test('only the configured behaviours happen', async (t) => {
  const calm: Behaviour = { ...DEFAULT_BEHAVIOUR, pause: 0, seek: 0, rewind: 0, exactStep: 0, switchMovie: 0, stop: 0, fractional: 0, ts: 0 };
  const m = new ViewerModel(catalogue(3, 5), calm, 2);
  const events = Array.from({ length: 300 }, (_, i) => m.next(i % 3));
  const k = steps(events, 60);
  t.equal(k.pause + k.seek + k.rewind + k.exact + k.fractional, 0, JSON.stringify(k));
  // Each viewer plays 10 s steps from 0 until the end of its movie.
  const mine = events.filter((e) => e.user === 'u0');
  t.equal(mine[0]!.at, 0);
  t.equal(mine[1]!.at, 10);
});

t.test("a viewer's heartbeats do not depend on how the others are interleaved", async (t) => {
  const a = new ViewerModel(catalogue(4, 20), DEFAULT_BEHAVIOUR, 5);
  const b = new ViewerModel(catalogue(4, 20), DEFAULT_BEHAVIOUR, 5);
  const fromA = Array.from({ length: 500 }, () => a.next(2));
  const fromB: Heartbeat[] = [];
  for (let i = 0; fromB.length < 500; i++) {
    const e = b.next(i % 4);
    if (i % 4 === 2) fromB.push(e);
  }
  t.same(fromA, fromB);
  const c = new ViewerModel(catalogue(4, 20), DEFAULT_BEHAVIOUR, 6);
  t.not(JSON.stringify(Array.from({ length: 50 }, () => c.next(2))), JSON.stringify(fromA.slice(0, 50)), 'another seed, other sessions');
});

t.test('sessions end at the end of the movie', async (t) => {
  const calm: Behaviour = { ...DEFAULT_BEHAVIOUR, pause: 0, seek: 0, rewind: 0, exactStep: 0, switchMovie: 0, stop: 0, fractional: 0, ts: 0, interval: 1000 };
  const cat = catalogue(1, 1);
  const m = new ViewerModel(cat, calm, 1);
  const d = cat.durations[0]!;
  const positions = Array.from({ length: Math.ceil(d / 1000) + 3 }, () => m.next(0).at);
  t.ok(positions.includes(d), 'the last heartbeat is at the duration');
  t.ok(positions.every((p) => p <= d));
  t.equal(positions[positions.indexOf(d) + 1], 0, 'then a new session starts');
});

t.test('movie durations: 10 min to 3 h, deterministic', async (t) => {
  const d = movieDurations(1000, 3);
  t.same(d, movieDurations(1000, 3));
  t.ok(d.every((x) => Number.isInteger(x) && x >= 600 && x <= 10_800));
});
