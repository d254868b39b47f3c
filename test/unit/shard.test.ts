import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { recover } from '../../src/shard/recovery.js';
import { RecentRequests } from '../../src/shard/recent-requests.js';
import { Shard } from '../../src/shard/shard.js';
import { openStorage } from '../../src/shard/storage.js';
import { packr } from '../../src/protocol/index.js';

/** A shard on a real LMDB environment in a temp DATA_DIR, as the shard process opens it. */
function open(dataDir: string, env: Record<string, string> = {}) {
  const config = loadConfig({ DATA_DIR: dataDir, SHARDS: '1', DURABILITY: 'commit', ...env });
  const storage = openStorage(config, 0);
  const r = recover(config, 0, storage);
  return { shard: new Shard(0, config, storage, r.state, r.seq, r.snapshot), storage, recovered: r };
}

/** One frame's record holding a single request's batch. */
const batch = (key: string | null, ...events: [string, string, number][]) => packr.pack([[1_000, key, ...events.flat()]]);
const one = async (p: Promise<number[]>): Promise<number> => (await p)[0]!;

t.test('log, apply, recover by replay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-shard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = open(dir);
  t.equal(await one(a.shard.ingest(batch(null, ['u', 'm', 0], ['u', 'm', 10]))), 2);
  t.equal(await one(a.shard.ingest(batch(null, ['u', 'm', 30], ['v', 'm', 5]))), 2);
  t.same(a.shard.state.user('u'), { watchTime: 30, movies: 1 });
  await a.storage.env.close();
  const b = open(dir);
  t.same(b.recovered.replayed.records, 2);
  t.same(b.shard.state.user('u'), { watchTime: 30, movies: 1 });
  t.same(b.shard.state.pair('u', 'm'), a.shard.state.pair('u', 'm'));
  await b.storage.env.close();
});

t.test('an idempotency key is applied once: retries later or concurrent get the first answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-shard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = open(dir);
  const first = batch('req-1', ['u', 'm', 0], ['u', 'm', 10]);
  // Concurrent: the retry arrives while the first is still being committed.
  t.same(await Promise.all([a.shard.ingest(first), a.shard.ingest(first)]), [[2], [2]]);
  t.equal(await one(a.shard.ingest(first)), 2, 'a later retry');
  t.same(a.shard.state.pair('u', 'm')!.events, 2, 'applied once');
  t.equal(await one(a.shard.ingest(batch('req-2', ['u', 'm', 20]))), 1);
  t.equal(a.shard.state.pair('u', 'm')!.watchTime, 20);
  await a.storage.env.close();
  // The keys survive a restart (rebuilt from the log).
  const b = open(dir);
  t.equal(await one(b.shard.ingest(first)), 2);
  t.equal(b.shard.state.pair('u', 'm')!.events, 3);
  await b.storage.env.close();
});

t.test('snapshots: recovery from the newest one plus the log, keys included; log pruned', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-shard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = open(dir, { SNAPSHOT_EVERY_EVENTS: '1000000' });
  for (let i = 0; i < 50; i++) await one(a.shard.ingest(batch(`k${i}`, [`u${i % 5}`, 'm', i * 5])));
  await a.shard.snapshot();
  for (let i = 50; i < 80; i++) await one(a.shard.ingest(batch(`k${i}`, [`u${i % 5}`, 'm', i * 5])));
  await a.shard.snapshot();
  for (let i = 80; i < 90; i++) await one(a.shard.ingest(batch(`k${i}`, [`u${i % 5}`, 'm', i * 5])));
  const expected = [0, 1, 2, 3, 4].map((u) => a.shard.state.pair(`u${u}`, 'm'));
  const logKeys = [...a.storage.log.getKeys()];
  t.equal(logKeys[0], 51, 'log kept only after the older of the two snapshots');
  await a.storage.env.close();
  const b = open(dir);
  t.equal(b.recovered.snapshot?.seq, 80);
  t.equal(b.recovered.replayed.records, 10);
  t.same(
    [0, 1, 2, 3, 4].map((u) => b.shard.state.pair(`u${u}`, 'm')),
    expected,
  );
  t.equal(await one(b.shard.ingest(batch('k10', ['u0', 'm', 999]))), 1, 'a key from before the snapshot is still known');
  t.equal(b.shard.state.pair('u0', 'm')!.at, expected[0]!.at);
  await b.storage.env.close();
});

t.test('a damaged newest snapshot falls back to the previous one plus the log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-shard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = open(dir);
  for (let i = 0; i < 10; i++) await one(a.shard.ingest(batch(null, ['u', 'm', i * 10])));
  await a.shard.snapshot();
  for (let i = 10; i < 20; i++) await one(a.shard.ingest(batch(null, ['u', 'm', i * 10])));
  await a.shard.snapshot();
  const expected = a.shard.state.pair('u', 'm');
  const newest = a.storage.snapshots.get(20)!;
  const damaged = Buffer.from(newest);
  damaged[damaged.length - 1]! ^= 0xff;
  await a.storage.snapshots.put(20, damaged);
  await a.storage.env.close();
  const b = open(dir);
  t.same(
    b.recovered.skippedSnapshots.map((s) => s.seq),
    [20],
  );
  t.equal(b.recovered.snapshot?.seq, 10);
  t.same(b.shard.state.pair('u', 'm'), expected);
  await b.storage.env.close();
});

t.test('a corrupt log record stops recovery with the sequence and the directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-shard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = open(dir);
  await one(a.shard.ingest(batch(null, ['u', 'm', 1])));
  await a.storage.log.put(2, Buffer.from([0xc1, 0x00]));
  await a.storage.env.close();
  t.throws(() => open(dir), { name: 'CorruptLog', message: /seq 2 .*shard-0/ });
});

t.test('RecentRequests forgets by age and by count', async (t) => {
  const r = new RecentRequests(1000, 3);
  r.remember('a', 1, 0);
  r.remember('b', 2, 500);
  t.equal(r.accepted('a'), 1);
  r.remember('c', 3, 1200); // 'a' is now older than the window
  t.equal(r.accepted('a'), undefined);
  t.equal(r.accepted('b'), 2);
  r.remember('d', 4, 1300);
  r.remember('e', 5, 1400); // over 3 keys: 'b' goes
  t.equal(r.accepted('b'), undefined);
  t.equal(r.size, 3);
  const copy = new RecentRequests(1000, 3);
  copy.restore(r.entries());
  t.same([copy.accepted('c'), copy.accepted('d'), copy.accepted('e')], [3, 4, 5]);
});
