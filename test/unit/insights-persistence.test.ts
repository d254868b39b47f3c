import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { applyRecord, decodeRecord } from '../../src/shard/apply-batch.js';
import { recover } from '../../src/shard/recovery.js';
import { Shard } from '../../src/shard/shard.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/shard/snapshot.js';
import { ShardState } from '../../src/shard/state.js';
import { openStorage } from '../../src/shard/storage.js';
import { eventBatch, movieRecord, packr, type IngestRecord, type TimedEvent } from '../../src/protocol/index.js';

// Snapshots and replay rebuild every §5 insight exactly.

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);
const SLUGS = Array.from({ length: 6 }, (_, i) => `m${i}`);

/** Every answer the insights give, for comparing two states. */
function view(s: ShardState) {
  return {
    pairs: USERS.map((u) => s.userMovies(u, 1000)),
    cw: USERS.map((u) => s.continueWatching(u, 1000)),
    movies: SLUGS.map((m) => s.movie(m)),
    partials: s.movies(SLUGS),
    retention: SLUGS.map((m) => s.retention(m)),
    series: [null, ...SLUGS].flatMap((m) => [
      s.series(m, 'minute', T0 - 86_400_000, T0 + 86_400_000 * 3),
      s.series(m, 'hour', T0 - 86_400_000, T0 + 86_400_000 * 3),
    ]),
    top: s.top(10),
  };
}

/** Deterministic records: events (half with ts, some late or repeated), seeks, and catalogue PUTs between them. */
function workload(seed: number, records: number, start: number): IngestRecord[] {
  let x = seed;
  const rand = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const at = new Map<string, number>();
  const out: IngestRecord[] = [];
  for (let r = 0; r < records; r++) {
    const receivedAt = T0 + (start + r) * 20_000;
    if (rand() < 0.05) {
      const slug = SLUGS[Math.floor(rand() * SLUGS.length)]!;
      out.push([movieRecord(receivedAt, slug, 200 + Math.floor(rand() * 4000), rand() < 0.5 ? `Title of ${slug}` : null)]);
      continue;
    }
    const events: TimedEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const user = USERS[Math.floor(rand() * USERS.length)]!;
      const slug = SLUGS[Math.floor(rand() * SLUGS.length)]!;
      const key = `${user}/${slug}`;
      let p = at.get(key) ?? 0;
      p = rand() < 0.85 ? p + rand() * 30 : rand() * 3000;
      at.set(key, p);
      const e: TimedEvent = { user, slug, at: p };
      if (rand() < 0.5) e.ts = receivedAt - (rand() < 0.2 ? 100_000 : 0) + i; // some late
      events.push(e);
    }
    out.push([eventBatch(receivedAt, rand() < 0.3 ? `key-${seed}-${r}` : null, events)]);
  }
  return out;
}

const applyAll = (s: ShardState, records: IngestRecord[]): void => {
  for (const r of records) applyRecord(s, decodeRecord(packr.pack(r)));
};

t.test('snapshot round trip: the same insights, and the same after more events', async (t) => {
  const live = new ShardState(60);
  applyAll(live, workload(1, 400, 0));
  const restored = ShardState.restore(decodeSnapshot(encodeSnapshot({ seq: 1, takenAt: 1, state: live.snapshot() })).state, 60);
  t.same(view(restored), view(live));
  const more = workload(2, 300, 400);
  applyAll(live, more);
  applyAll(restored, more);
  t.same(view(restored), view(live));
  t.ok(live.retention('m0')!.buckets.length > 0 && live.movie('m0')!.duration !== undefined, 'the workload exercises retention and the catalogue');
});

/** A v1 snapshot, as the code before insights wrote it (no pair.ts / pair.lateEvents, no insights). */
function v1Snapshot(s: ShardState): Buffer {
  const st = s.snapshot();
  const { ts: _ts, lateEvents: _late, ...pairs } = st.pairs;
  const columns = {
    userWatch: st.userWatch,
    userMovies: st.userMovies,
    userHead: st.userHead,
    movieWatch: st.movieWatch,
    movieViewers: st.movieViewers,
    ...Object.fromEntries(Object.entries(pairs).map(([k, v]) => [`pair.${k}`, v])),
  };
  const body = packr.pack({
    v: 1,
    seq: 7,
    takenAt: 1,
    users: st.users,
    slugs: st.slugs,
    recent: st.recent,
    columns: Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, new Uint8Array(v.buffer, v.byteOffset, v.byteLength)])),
  });
  const head = Buffer.alloc(8);
  head.write('WTS1', 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

t.test('a v1 snapshot still loads: pairs as they were, no client time, insights from then on', async (t) => {
  const v1 = new ShardState(60);
  for (let i = 0; i < 200; i++) v1.apply(`u${i % 20}`, `m${i % 3}`, i * 5, T0 + i);
  const r = ShardState.restore(decodeSnapshot(v1Snapshot(v1)).state, 60);
  for (let u = 0; u < 20; u++) t.same(r.userMovies(`u${u}`, 100), v1.userMovies(`u${u}`, 100));
  t.same(r.movies(['m0', 'm1', 'm2']), v1.movies(['m0', 'm1', 'm2']));
  t.same(r.retention('m0')!.buckets, [], 'coverage before the upgrade is not known');
  r.apply('u0', 'm0', 2000, T0 + 1000, 5); // the pair had no ts: applies
  r.apply('u0', 'm0', 1990, T0 + 1001, 5); // now it is late
  t.equal(r.pair('u0', 'm0')!.lateEvents, 1);
  r.putMovie('m0', 2100, null);
  t.equal(r.movie('m0')!.completions, 1);
});

t.test('a snapshot counted with another RETENTION_BUCKET_S is refused with the setting named', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'm', 0, 1);
  const snap = decodeSnapshot(encodeSnapshot({ seq: 1, takenAt: 1, state: s.snapshot() })).state;
  t.throws(() => ShardState.restore(snap, 60, undefined, { completeRatio: 0.9, resumeMinRatio: 0.05, retentionBucketS: 10 }), {
    name: 'BucketSizeChanged',
    message: /RETENTION_BUCKET_S is 10 .* RETENTION_BUCKET_S=30/,
  });
});

t.test('a changed COMPLETE_RATIO applies on restart (completions are derived)', async (t) => {
  const s = new ShardState(60);
  s.putMovie('m', 100, null);
  s.apply('a', 'm', 85, 1);
  s.apply('b', 'm', 95, 1);
  t.equal(s.movie('m')!.completions, 1);
  const r = ShardState.restore(decodeSnapshot(encodeSnapshot({ seq: 1, takenAt: 1, state: s.snapshot() })).state, 60, undefined, {
    completeRatio: 0.8,
    resumeMinRatio: 0.05,
    retentionBucketS: 30,
  });
  t.equal(r.movie('m')!.completions, 2);
  t.equal(r.pair('a', 'm')!.completed, true);
});

/** A shard on a real LMDB environment in a temp DATA_DIR, as the shard process opens it. */
function open(dataDir: string) {
  const config = loadConfig({ DATA_DIR: dataDir, SHARDS: '1', DURABILITY: 'commit', SNAPSHOT_EVERY_EVENTS: '1000000000' });
  const storage = openStorage(config, 0);
  const r = recover(config, 0, storage);
  return { shard: new Shard(0, config, storage, r.state, r.seq, r.snapshot), storage, recovered: r };
}

t.test('through the log: replay, and snapshot + replay, rebuild the same insights as live', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-insights-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const truth = new ShardState(60);
  const first = workload(3, 300, 0);
  const second = workload(4, 200, 300);
  const a = open(dir);
  for (const r of first) await a.shard.ingest(packr.pack(r));
  applyAll(truth, first);
  t.same(view(a.shard.state), view(truth), 'live');
  await a.storage.env.close();

  const b = open(dir);
  t.equal(b.recovered.replayed.records, first.length, 'replayed from the log alone');
  t.same(view(b.shard.state), view(truth), 'after replay');
  await b.shard.snapshot();
  for (const r of second) await b.shard.ingest(packr.pack(r));
  applyAll(truth, second);
  await b.storage.env.close();

  const c = open(dir);
  t.equal(c.recovered.snapshot?.seq, first.length);
  t.equal(c.recovered.replayed.records, second.length, 'snapshot, then the log after it');
  t.same(view(c.shard.state), view(truth), 'after snapshot + replay');
  t.same(c.shard.query({ op: 'retention', slug: 'm1' }), truth.retention('m1'), 'answered through Shard.query');
  t.same(c.shard.query({ op: 'continueWatching', user: 'u3', limit: 5 }), truth.continueWatching('u3', 5));
  t.same(c.shard.query({ op: 'series', slug: null, step: 'hour', from: T0, to: T0 + 86_400_000 }), truth.series(null, 'hour', T0, T0 + 86_400_000));
  t.same(c.shard.query({ op: 'movie', slug: 'm2' }), truth.movie('m2'));
  await c.storage.env.close();
});

t.test('a movie record is acknowledged with 1 and refused when malformed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-insights-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = open(dir);
  t.same(await a.shard.ingest(packr.pack([movieRecord(T0, 'm', 100, 'M'), eventBatch(T0, null, [{ user: 'u', slug: 'm', at: 95 }])])), [1, 1]);
  t.same(a.shard.state.movie('m'), { slug: 'm', watchTime: 0, viewers: 1, completions: 1, title: 'M', duration: 100 });
  await t.rejects(a.shard.ingest(packr.pack([['movie', T0, 'm']])), /not a movie record/);
  await a.storage.env.close();
});
