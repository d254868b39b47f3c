import t from 'tap';
import { applyRecord, decodeRecord } from '../../src/shard/apply-batch.js';
import { ShardState } from '../../src/shard/state.js';
import { eventBatch, packr } from '../../src/protocol/index.js';

const roundTrip = (batches: unknown[]) => decodeRecord(packr.pack(batches));

t.test('an event batch without ts is the v1 shape, byte for byte', async (t) => {
  const batch = eventBatch(1000, 'k', [
    { user: 'u', slug: 'm', at: 1 },
    { user: 'u', slug: 'm', at: 2 },
  ]);
  t.same(batch, [1000, 'k', 'u', 'm', 1, 'u', 'm', 2]);
});

t.test('a ts column is added when some event has a ts, null for those without', async (t) => {
  const batch = eventBatch(1000, null, [
    { user: 'u', slug: 'm', at: 1, ts: 50 },
    { user: 'u', slug: 'm', at: 2 },
  ]);
  t.same(batch, [1000, null, 'u', 'm', 1, 'u', 'm', 2, [50, null]]);
});

t.test('v1 records (as old logs hold them) and records with ts apply the same rule', async (t) => {
  const v1 = new ShardState(60);
  applyRecord(
    v1,
    roundTrip([
      [1000, null, 'u', 'm', 10, 'u', 'm', 20],
      [1001, 'key', 'v', 'm', 5],
    ]),
  );
  t.same(v1.pair('u', 'm'), { slug: 'm', watchTime: 10, at: 20, furthest: 20, events: 2, updatedAt: 1000, lateEvents: 0 });
  t.equal(v1.recent.accepted('key'), 1);

  const timed = new ShardState(60);
  const accepted = applyRecord(
    timed,
    roundTrip([
      eventBatch(1000, null, [
        { user: 'u', slug: 'm', at: 10, ts: 100 },
        { user: 'u', slug: 'm', at: 20, ts: 200 },
      ]),
      eventBatch(1001, 'k2', [
        { user: 'u', slug: 'm', at: 12, ts: 150 },
        { user: 'u', slug: 'm', at: 30 },
      ]),
    ]),
  );
  t.same(accepted, [2, 2]);
  // at 12 (ts 150 <= 200) is late; at 30 has no ts: v1 step from 20.
  t.same(timed.pair('u', 'm'), { slug: 'm', watchTime: 20, at: 30, furthest: 30, events: 4, updatedAt: 1001, lateEvents: 1 });
});

t.test('malformed batches are refused with a reason', async (t) => {
  t.throws(() => roundTrip([[1000, null, 'u', 'm']]), /not an IngestBatch/);
  t.throws(() => roundTrip([[1000, null, 'u', 'm', 1, [1, 2]]]), /not an IngestBatch/, 'ts column of the wrong length');
  t.throws(() => roundTrip([[1000, null, 'u', 'm', 1, 5]]), /not an IngestBatch/, 'a trailing non-array');
  t.throws(() => roundTrip([['x', null]]), /not an IngestBatch/);
  t.throws(() => decodeRecord(packr.pack({ a: 1 })), /not an IngestRecord/);
});
