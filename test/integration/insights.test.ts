import t from 'tap';
import { shardOf } from '../../src/hash.js';
import { isAlive, Service, sleep } from '../helpers/service.js';

/**
 * Viewer insights (CONTRACT §5) through the real service: the rule with ts, the catalogue and
 * its thresholds, continue-watching, retention buckets, series, validation, and that restart and
 * kill -9 keep all of it. Two shards, so every movie answer is merged from both.
 */
const svc = await Service.start({ shards: 2, env: { ACK_TIMEOUT_MS: '1500' } });
t.teardown(() => svc.dispose());

type Ev = { user: string; slug: string; at: number; ts?: number };
const ev = (user: string, slug: string, at: number, ts?: number): Ev => (ts === undefined ? { user, slug, at } : { user, slug, at, ts });
const enc = encodeURIComponent;

async function post(events: Ev | Ev[]): Promise<void> {
  const r = await svc.post(events);
  if (r.status !== 200) throw new Error(`POST ${JSON.stringify(events).slice(0, 200)}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function put(
  slug: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; body: any }> {
  const r = await fetch(`${svc.url}/movies/${enc(slug)}`, { method: 'PUT', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

const pair = async (user: string, slug: string) => (await svc.get(`/users/${enc(user)}/movies/${enc(slug)}`)).body;

/** Positions played one after another by `user` in `slug` (one request each, in order). */
async function play(user: string, slug: string, positions: number[]): Promise<void> {
  for (const at of positions) await post(ev(user, slug, at));
}

t.test('ts: late and repeated heartbeats count as events and nothing else', async (t) => {
  await post([ev('late-u', 'late-m', 0, 1000), ev('late-u', 'late-m', 10, 2000), ev('late-u', 'late-m', 20, 3000)]);
  await post(ev('late-u', 'late-m', 10, 2000)); // a retry of the second heartbeat
  await post(ev('late-u', 'late-m', 15, 2500)); // produced before the third, arrives after it
  await post(ev('late-u', 'late-m', 20, 3000)); // repeated: ts equal is late too
  const p = await pair('late-u', 'late-m');
  t.match(p, { watchTime: 20, at: 20, furthest: 20, events: 6, lateEvents: 3 });
  t.equal((await svc.get('/users/late-u/movies/late-m/latest')).body.at, 20, 'the resume point is not dragged back');
  t.same((await svc.get('/movies/late-m/watch-time')).body, { slug: 'late-m', watchTime: 20, viewers: 1 });
});

t.test('ts: mixed with events without ts (v1 rule, pair.ts kept)', async (t) => {
  await post(ev('mix-u', 'mix-m', 0, 5000));
  await post(ev('mix-u', 'mix-m', 10)); // no ts: v1, counts 10
  await post(ev('mix-u', 'mix-m', 5)); // no ts: a rewind, applied
  await post(ev('mix-u', 'mix-m', 30, 4000)); // older than pair.ts 5000: late, nothing moves
  await post(ev('mix-u', 'mix-m', 15, 6000)); // newer: applies, 5 -> 15 counts 10
  t.match(await pair('mix-u', 'mix-m'), { watchTime: 20, at: 15, furthest: 15, events: 5, lateEvents: 1 });
  // A batch is applied in order, its late events included.
  await post([ev('mix-u', 'mix-b', 100, 10), ev('mix-u', 'mix-b', 90, 9), ev('mix-u', 'mix-b', 110, 11)]);
  t.match(await pair('mix-u', 'mix-b'), { watchTime: 10, at: 110, events: 3, lateEvents: 1 });
  // v1 events only: lateEvents is 0, and the v1 fields are the same as ever.
  await play('v1-u', 'v1-m', [0, 10, 10, 5]);
  t.same(Object.keys(await pair('v1-u', 'v1-m')).sort(), ['at', 'events', 'furthest', 'lateEvents', 'slug', 'updatedAt', 'user', 'watchTime']);
  t.equal((await pair('v1-u', 'v1-m')).lateEvents, 0);
});

t.test('ts validation: integer ms 0..1e13, JSON Pointer details, nothing stored', async (t) => {
  for (const [ts, ok] of [
    [0, true],
    [1e13, true],
    [1e13 + 1, false],
    [-1, false],
    [1.5, false],
    ['1000', false],
    [null, false],
    [true, false],
  ] as const) {
    const r = await svc.post([ev('tsv-u', 'tsv-m', 1), { user: 'tsv-u', slug: 'tsv-m', at: 2, ts }]);
    if (ok) t.equal(r.status, 200, `ts ${ts}`);
    else {
      t.same([r.status, r.body.error, r.body.details[0].path], [400, 'invalid_event', '/1/ts'], `ts ${JSON.stringify(ts)}`);
      t.type(r.body.message, 'string');
    }
  }
  const single = await svc.post({ user: 'tsv-x', slug: 'tsv-m', at: 1, ts: 'soon' });
  t.same([single.status, single.body.details.map((d: { path: string }) => d.path)], [400, ['/ts']]);
  t.equal((await svc.get('/users/tsv-x/watch-time')).status, 404, 'nothing stored');
});

t.test('PUT /movies/{slug}: stored, replaced, validated, 415/413, unknown properties ignored', async (t) => {
  const r = await put('cat-1', { duration: 100, title: 'Cat One', year: 1999 });
  t.same(r, { status: 200, body: { slug: 'cat-1', title: 'Cat One', duration: 100 } });
  t.same((await svc.get('/movies/cat-1')).body, { slug: 'cat-1', title: 'Cat One', duration: 100, watchTime: 0, viewers: 0, completions: 0 });
  t.same((await put('cat-1', { duration: 120.5 })).body, { slug: 'cat-1', duration: 120.5 }, 'a second PUT replaces (the title too)');
  t.same((await svc.get('/movies/cat-1')).body, { slug: 'cat-1', duration: 120.5, watchTime: 0, viewers: 0, completions: 0 });
  const bad: [unknown, string][] = [
    [{}, '/duration'],
    [{ duration: 0 }, '/duration'],
    [{ duration: 1e6 + 1 }, '/duration'],
    [{ duration: '100' }, '/duration'],
    [{ duration: 100, title: '' }, '/title'],
    [{ duration: 100, title: 'x'.repeat(257) }, '/title'],
    [{ duration: 100, title: 'a\u0007b' }, '/title'],
    [{ duration: 100, title: 'a\ud800' }, '/title'],
    [{ duration: 100, title: 7 }, '/title'],
    [[{ duration: 100 }], ''],
    ['"x"', ''],
  ];
  for (const [body, path] of bad) {
    const b = await put('cat-bad', body);
    t.same([b.status, b.body.error, b.body.details?.[0]?.path], [400, 'invalid_movie', path], JSON.stringify(body));
  }
  t.same((await put('cat-bad', '{"duration":')).body.error, 'invalid_json');
  t.equal((await put('cat-bad', { duration: 1 })).status, 200, 'duration 1 is allowed');
  t.equal((await put('cat-bad', { duration: 1e6, title: 'y'.repeat(256) })).status, 200, 'duration 1e6 and a 256-character title are allowed');
  t.same((await put('cat-x', { duration: 5 }, { 'content-type': 'text/plain' })).status, 415);
  t.same((await put('cat-x', { duration: 5, title: 't'.repeat(2_000_000) })).status, 413);
  t.equal((await svc.get('/movies/cat-x')).status, 404, 'nothing stored from refused PUTs');
  t.equal((await svc.get('/movies/nothing-here')).status, 404);
  const top = await put('top', { duration: 50 });
  t.same(top.body, { slug: 'top', duration: 50 }, 'PUT /movies/top stores the movie "top"');
  t.ok(Array.isArray((await svc.get('/movies/top')).body.items), 'GET /movies/top is still the top list');
  t.equal((await svc.get('/movies/top/retention')).body.buckets.length, 2);
  const del = await fetch(`${svc.url}/movies/cat-1`, { method: 'DELETE' });
  t.same([del.status, del.headers.get('allow')], [405, 'GET, HEAD, PUT']);
});

t.test('progress, completed and resumeAt at exactly 5 % and 90 %; absent without a duration', async (t) => {
  await put('thr', { duration: 100 });
  const cases: [string, number[], { progress: number; completed: boolean; resumeAt: number }][] = [
    // progress is furthest / duration, computed as the service does
    ['thr-a', [0, 5], { progress: 5 / 100, completed: false, resumeAt: 5 }],
    ['thr-b', [0, 4.999], { progress: 4.999 / 100, completed: false, resumeAt: 0 }],
    ['thr-c', [0, 60, 90], { progress: 90 / 100, completed: true, resumeAt: 0 }],
    ['thr-d', [0, 60, 89.99], { progress: 89.99 / 100, completed: false, resumeAt: 89.99 }],
    ['thr-e', [0, 60, 95, 40], { progress: 95 / 100, completed: true, resumeAt: 40 }], // completed stays (furthest); resumeAt follows at
    ['thr-f', [0, 60, 120, 150], { progress: 1, completed: true, resumeAt: 0 }], // past the end: progress 1
    ['thr-g', [50, 10], { progress: 0.5, completed: false, resumeAt: 10 }], // resumeAt is `at`, not furthest
  ];
  for (const [user, positions, want] of cases) {
    await play(user, 'thr', positions);
    t.match(await pair(user, 'thr'), want, user);
    t.match((await svc.get(`/users/${user}/movies/thr/latest`)).body, want, `${user} latest`);
    t.match((await svc.get(`/users/${user}/movies`)).body.items[0], { slug: 'thr', ...want }, `${user} in their movies`);
  }
  t.match((await svc.get('/movies/thr')).body, { slug: 'thr', duration: 100, viewers: 7, completions: 3 });
  t.match((await svc.get('/movies/thr/watch-time')).body, { viewers: 7, completions: 3 });
  await play('thr-none', 'no-duration', [0, 10]);
  const body = await pair('thr-none', 'no-duration');
  for (const k of ['progress', 'completed', 'resumeAt']) t.notOk(k in body, `no ${k} without a duration`);
  t.notOk('completions' in (await svc.get('/movies/no-duration')).body);
  t.notOk('completions' in (await svc.get('/movies/no-duration/watch-time')).body);
});

t.test('a duration set or changed after the events applies to every pair at once (completions exact)', async (t) => {
  // Users on both shards.
  const users = Array.from({ length: 12 }, (_, i) => `late-dur-${i}`);
  t.ok(new Set(users.map((u) => shardOf(u, 2))).size === 2);
  for (const [i, u] of users.entries()) await play(u, 'ld', [0, 60, 120, 180].slice(0, 1 + (i % 4))); // furthest 0, 60, 120, 180
  t.notOk('completions' in (await svc.get('/movies/ld')).body);
  await put('ld', { duration: 200 }); // 90 %: 180 -> 3 users
  t.match((await svc.get('/movies/ld')).body, { duration: 200, viewers: 12, completions: 3 });
  t.match(await pair(users[3]!, 'ld'), { progress: 0.9, completed: true, resumeAt: 0 });
  await put('ld', { duration: 130 }); // 90 % = 117: 120 and 180 -> 6
  t.match((await svc.get('/movies/ld/watch-time')).body, { completions: 6 });
  t.match(await pair(users[2]!, 'ld'), { completed: true, resumeAt: 0 });
  await put('ld', { duration: 1000 });
  t.match((await svc.get('/movies/ld')).body, { completions: 0 });
  t.match(await pair(users[3]!, 'ld'), { progress: 0.18, completed: false, resumeAt: 180 });
  // Events after the duration: counted as they come.
  await play(users[0]!, 'ld', [900]);
  await play(users[0]!, 'ld', [950]);
  t.match((await svc.get('/movies/ld')).body, { completions: 1 });
});

t.test('continue-watching: started, not completed, known duration; order, ties, limit, 404', async (t) => {
  await put('cw-a', { duration: 1000, title: 'A' });
  await put('cw-b', { duration: 1000 });
  await put('cw-c', { duration: 100 });
  await play('cw-u', 'cw-a', [0, 50, 100]); // resume 100
  await play('cw-u', 'cw-b', [0, 60, 120]); // resume 120
  await play('cw-u', 'cw-c', [0, 60, 95]); // completed: not listed
  await play('cw-u', 'cw-d', [0, 60, 120]); // no duration: not listed
  await play('cw-u', 'cw-e', [0, 30]); // below 5 % of... no duration either
  await put('cw-f', { duration: 10_000 });
  await play('cw-u', 'cw-f', [0, 30]); // 30 < 5 % of 10 000: not started enough
  let r = (await svc.get('/users/cw-u/continue-watching')).body;
  t.equal(r.user, 'cw-u');
  t.same(
    r.items.map((i: { slug: string }) => i.slug),
    ['cw-b', 'cw-a'],
  );
  t.match(r.items[1], { slug: 'cw-a', title: 'A', resumeAt: 100, progress: 0.1, duration: 1000 });
  t.notOk('title' in r.items[0]);
  t.match(r.items[0].updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await play('cw-u', 'cw-a', [110]);
  r = (await svc.get('/users/cw-u/continue-watching')).body;
  t.same(
    r.items.map((i: { slug: string }) => i.slug),
    ['cw-a', 'cw-b'],
    'most recently updated first',
  );
  // Same request, same updatedAt: ties by slug.
  await put('cw-z', { duration: 1000 });
  await put('cw-y', { duration: 1000 });
  await post([ev('cw-t', 'cw-z', 100), ev('cw-t', 'cw-y', 100)]);
  t.same(
    (await svc.get('/users/cw-t/continue-watching')).body.items.map((i: { slug: string }) => i.slug),
    ['cw-y', 'cw-z'],
  );
  t.same(
    (await svc.get('/users/cw-u/continue-watching?limit=1')).body.items.map((i: { slug: string }) => i.slug),
    ['cw-a'],
  );
  for (const q of ['limit=0', 'limit=1001', 'limit=', 'limit=2.0', 'limit=1e1'])
    t.equal((await svc.get(`/users/cw-u/continue-watching?${q}`)).body.error, 'invalid_query', q);
  t.same((await svc.get('/users/nobody-at-all/continue-watching')).body.error, 'not_found');
  t.same((await svc.get('/users/v1-u/continue-watching')).body, { user: 'v1-u', items: [] }, 'a known user with nothing to resume');
});

t.test('retention: bucket edges, fractional positions, seeks, rewinds, distinct users, both shards', async (t) => {
  const B = 30;
  // a: 0 -> 30 covers bucket 0 only (ceil(30/30) - 1 = 0); 30 -> 60 covers bucket 1.
  await play('ret-a', 'ret', [0, 30, 60]);
  // b: 29.5 -> 30.5 touches buckets 0 and 1; seek to 200 covers nothing; 200 -> 209.5 covers bucket 6.
  await play('ret-b', 'ret', [29.5, 30.5, 200, 209.5]);
  // c: a rewind, then the same step twice: bucket 1 counted once for c.
  await play('ret-c', 'ret', [100, 40, 50, 40, 50]);
  // d: only late events after the first: nothing covered.
  await post([ev('ret-d', 'ret', 0, 100), ev('ret-d', 'ret', 20, 50)]);
  let r = (await svc.get('/movies/ret/retention')).body;
  t.same(r, { slug: 'ret', bucketSeconds: B, viewers: 4, buckets: [2, 3, 0, 0, 0, 0, 1] });
  t.ok(new Set(['ret-a', 'ret-b', 'ret-c', 'ret-d'].map((u) => shardOf(u, 2))).size === 2, 'viewers on both shards');
  // A duration past the last bucket reached extends the array with zeros; a shorter one does not cut it.
  await put('ret', { duration: 301 });
  r = (await svc.get('/movies/ret/retention')).body;
  t.same(r.buckets, [2, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  await put('ret', { duration: 60 });
  t.same((await svc.get('/movies/ret/retention')).body.buckets, [2, 3, 0, 0, 0, 0, 1]);
  // A movie with metadata and no events: zeros to its duration. Never seen: 404.
  await put('ret-empty', { duration: 90 });
  t.same((await svc.get('/movies/ret-empty/retention')).body, { slug: 'ret-empty', bucketSeconds: B, viewers: 0, buckets: [0, 0, 0] });
  t.equal((await svc.get('/movies/ret-never/retention')).status, 404);
  // At most 4096 entries: positions past 4096 · B are not tracked.
  await play('ret-long', 'ret-long', [4096 * B - 20, 4096 * B + 20]);
  await put('ret-long', { duration: 1e6 });
  const long = (await svc.get('/movies/ret-long/retention')).body.buckets;
  t.equal(long.length, 4096);
  t.equal(long[4095], 1);
  // The same user counted once per bucket however many passes, several users added across shards.
  for (let i = 0; i < 6; i++) await play(`ret-many-${i}`, 'ret-many', [0, 10, 20, 0, 10, 20, 29]);
  t.same((await svc.get('/movies/ret-many/retention')).body.buckets, [6]);
});

/** Waits until at least `marginMs` remain before the next minute, so a few requests land in one. */
async function awayFromMinuteEdge(marginMs = 3000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await sleep(left + 50);
}

const MIN = 60_000;
const HOUR = 3_600_000;
const isoOf = (ms: number) => new Date(ms).toISOString();

t.test('series: by receive time, per movie and overall, bucket edges and ranges', async (t) => {
  await awayFromMinuteEdge();
  const before = (await svc.get('/series?step=minute')).body;
  const t0 = Date.now();
  await play('ser-a', 'ser', [0, 10, 20]); // 20 s counted, 3 events
  await post([ev('ser-b', 'ser', 100, 5), ev('ser-b', 'ser', 130, 6), ev('ser-b', 'ser', 110, 4)]); // 30 s, 3 events (one late)
  const t1 = Date.now();
  t.equal(Math.floor(t0 / MIN), Math.floor(t1 / MIN), 'the events fell in one minute');
  const minute = Math.floor(t0 / MIN) * MIN;
  const hour = Math.floor(t0 / HOUR) * HOUR;
  const m = (await svc.get('/movies/ser/series')).body;
  t.same(m.step, 'minute');
  t.ok(Date.parse(m.to) - Date.parse(m.from) === HOUR && Math.abs(Date.parse(m.to) - Date.now()) < 5000, `default range: the last hour (${m.from} .. ${m.to})`);
  t.same(m.items, [{ t: isoOf(minute), watchTime: 50, events: 6 }]);
  const h = (await svc.get('/movies/ser/series?step=hour')).body;
  t.ok(Date.parse(h.to) - Date.parse(h.from) === 24 * HOUR, 'hour default: the last 24 hours');
  t.same(h.items, [{ t: isoOf(hour), watchTime: 50, events: 6 }]);
  // Overall: this test's events on top of what was there (other tests ran before).
  const all = (await svc.get('/series?step=minute')).body;
  const was = before.items.find((i: { t: string }) => i.t === isoOf(minute)) ?? { watchTime: 0, events: 0 };
  const now = all.items.find((i: { t: string }) => i.t === isoOf(minute));
  t.same([now.events - was.events, now.watchTime - was.watchTime], [6, 50]);
  // Edges: `from` inside a bucket includes it; `to` is exclusive at a bucket start.
  const q = (from: number, to: number, step = 'minute') => svc.get(`/movies/ser/series?step=${step}&from=${isoOf(from)}&to=${isoOf(to)}`);
  t.same((await q(minute, minute + MIN)).body.items.length, 1, '[start, next start)');
  t.same((await q(minute + MIN - 1, minute + MIN)).body.items.length, 1, 'from inside the bucket');
  t.same((await q(minute - MIN, minute)).body.items, [], 'to at the bucket start excludes it');
  t.same((await q(minute + MIN, minute + 2 * MIN)).body.items, [], 'after it');
  t.same((await q(minute + 30_000, minute + 30_000)).body.items.length, 1, 'from = to: the bucket holding it');
  t.same((await q(minute - 1440 * MIN + MIN, minute + MIN)).body.items.length, 1, 'exactly 1440 minute buckets are allowed');
  t.same((await q(hour - 1439 * HOUR, hour + HOUR, 'hour')).body.items.length, 1, 'exactly 1440 hour buckets are allowed');
  const echoed = (await svc.get('/series?step=hour&from=2026-01-01T00:00:00%2B01:00&to=2026-01-01T10:00:00Z')).body;
  t.same([echoed.from, echoed.to], ['2025-12-31T23:00:00.000Z', '2026-01-01T10:00:00.000Z'], 'offsets are applied; answered in UTC');
  t.same((await svc.get('/series?step=hour&from=2026-01-01&to=2026-01-02')).body.items, [], 'date-only ISO-8601, nothing then');
  t.equal((await svc.get('/movies/ser-unknown/series')).status, 404);
  t.same((await svc.get('/movies/cat-1/series')).body.items, [], 'metadata only: known, no buckets');
});

t.test('series validation: 400 invalid_query', async (t) => {
  const bad = [
    'step=day',
    'step=',
    'step=MINUTE',
    'from=yesterday',
    'from=2026-02-30T00:00:00Z',
    'from=2026-01-01T25:00:00Z',
    'to=1767225600000',
    'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    'step=minute&from=2026-01-01T00:00:00Z&to=2026-01-02T00:01:00Z', // 1441 minutes
    'step=hour&from=2026-01-01T00:00:00Z&to=2026-03-02T01:00:00Z', // 1441 hours
  ];
  for (const q of bad) {
    for (const path of ['/series', '/movies/ser/series']) {
      const r = await svc.get(`${path}?${q}`);
      t.same([r.status, r.body.error], [400, 'invalid_query'], `${path}?${q}`);
      t.type(r.body.message, 'string');
    }
  }
  t.equal((await svc.get('/series?step=minute&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z')).status, 200, '24 hours of minutes: 1440 buckets');
});

/** Every insights answer a client sees, for comparing before and after a restart. */
async function answers(s: Service): Promise<unknown[]> {
  const paths = [
    '/users/late-u/movies/late-m',
    '/users/mix-u/movies/mix-m',
    '/users/mix-u/movies',
    '/users/thr-c/movies/thr',
    '/users/thr-a/movies/thr/latest',
    '/movies/thr',
    '/movies/ld',
    '/movies/ld/watch-time',
    '/movies/cat-1',
    '/movies/top/retention',
    '/movies/ret/retention',
    '/movies/ret-long/retention',
    '/users/cw-u/continue-watching',
    '/users/cw-t/continue-watching',
    '/movies/ser/series?step=minute',
    '/movies/ser/series?step=hour',
    '/movies/ld/series?step=hour',
  ];
  return Promise.all(paths.map(async (p) => (await s.get(p)).body));
}

/** The series queries above use "the last hour" by default: compare them with a fixed range instead. */
const fixed = (a: unknown[]): unknown[] => a.map((b) => (b && typeof b === 'object' && 'items' in b && 'step' in b ? (b as { items: unknown }).items : b));

t.test('a PUT one shard cannot store: 503, then the retried PUT is applied everywhere', async (t) => {
  const [shard0] = await svc.pids('wt-shard');
  process.kill(shard0!, 'SIGSTOP');
  try {
    const r = await put('partial', { duration: 500 });
    t.same([r.status, r.body.error], [503, 'unavailable']);
  } finally {
    process.kill(shard0!, 'SIGCONT');
  }
  await svc.waitReady();
  let r = await put('partial', { duration: 600 });
  for (let i = 0; i < 20 && r.status !== 200; i++) {
    await sleep(250);
    r = await put('partial', { duration: 600 });
  }
  t.equal(r.status, 200);
  t.same((await svc.get('/movies/partial')).body, { slug: 'partial', duration: 600, watchTime: 0, viewers: 0, completions: 0 });
  t.same((await svc.get('/movies/partial/retention')).body.buckets.length, 20, 'both shards have the new duration');
});

t.test('graceful restart and kill -9 keep everything (snapshot and log replay)', async (t) => {
  const before = fixed(await answers(svc));
  await svc.stop();
  const again = await Service.start({ shards: 2, dataDir: svc.dataDir, port: svc.port });
  t.same(fixed(await answers(again)), before, 'after a graceful restart (snapshots)');
  // More writes after the snapshot, then kill -9 of everything: they come back from the log.
  await again.post([ev('late-u', 'late-m', 30, 4000), ev('late-u', 'late-m', 25, 3500)]);
  const put2 = await fetch(`${again.url}/movies/thr`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ duration: 95, title: 'Thr' }),
  });
  t.equal(put2.status, 200);
  const after = fixed(await answers(again));
  t.match(after[0], { watchTime: 30, at: 30, events: 8, lateEvents: 4 });
  t.match(after[5], { slug: 'thr', title: 'Thr', duration: 95 });
  const pids = [...(await again.pids('wt-shard')), ...(await again.pids('wt-front'))];
  again.kill();
  await again.exit;
  const until = Date.now() + 5000;
  while (pids.some(isAlive) && Date.now() < until) await sleep(100);
  const third = await Service.start({ shards: 2, dataDir: svc.dataDir, port: svc.port });
  t.teardown(async () => {
    await third.dispose();
    third.removeData();
  });
  t.same(fixed(await answers(third)), after, 'after kill -9 (log replay)');
});
