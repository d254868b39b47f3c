import t, { type Test } from 'tap';
import { ShardClient, ShardRejected, ShardUnavailable } from '../../src/transport/client.js';
import { IngestBatcher } from '../../src/transport/ingest-batcher.js';
import { Kind, packr, type IngestBatch, type IngestRecord } from '../../src/protocol/index.js';
import { FrameServer, until } from '../helpers/frame-server.js';

// The batcher with a real ShardClient, against a stand-in shard on a real Unix socket that records
// every ingest frame and acknowledges each batch with the count of events it carries.

async function setup(t: Test) {
  const { path, cleanup } = FrameServer.tempPath();
  const server = await new FrameServer(path).start();
  const records: IngestRecord[] = [];
  server.onRequest = (kind, id, body, reply) => {
    if (kind !== Kind.Ingest) return;
    const record = packr.unpack(body) as IngestRecord;
    records.push(record);
    reply(Kind.Ack, id, packr.pack(record.map((batch) => (batch.length - 2) / 3)));
  };
  const client = new ShardClient(0, path, { shards: 1, ackTimeoutMs: 5000, maxInflightEvents: 1_000_000 });
  t.teardown(async () => {
    client.close();
    await server.stop();
    cleanup();
  });
  await until(() => client.ready, 5000, 'hello');
  return { server, client, records, batcher: new IngestBatcher(client) };
}

/** A batch of `n` events for `user`, as the front builds them. */
function batch(user: string, n: number, key: string | null = null): IngestBatch {
  const b: IngestBatch = [1_700_000_000_000, key];
  for (let i = 0; i < n; i++) b.push(user, `film-${i}`, i * 10);
  return b;
}

t.test('the batches of one turn go to the shard as one frame; each gets its own ack', async (t) => {
  const { batcher, records, server } = await setup(t);
  const batches = [batch('ann', 3, 'k1'), batch('bob', 1), batch('cy', 2)];
  const acks = await Promise.all(batches.map((b) => batcher.add(b, (b.length - 2) / 3)));
  t.same(acks, [3, 1, 2], 'each batch resolves with its own accepted count');
  t.equal(server.received.length, 1, 'one frame');
  t.same(records, [batches], 'carrying every batch, in the order they were added');
});

t.test('batches of different turns are different frames', async (t) => {
  const { batcher, records } = await setup(t);
  const first = batcher.add(batch('ann', 1), 1);
  await new Promise((resolve) => setImmediate(resolve));
  const second = batcher.add(batch('bob', 2), 2);
  t.same(await Promise.all([first, second]), [1, 2]);
  t.equal(records.length, 2);
});

t.test('the frame is weighed by its events against the in-flight bound', async (t) => {
  const { batcher, client, server } = await setup(t);
  server.onRequest = () => {}; // hold it
  const pending = batcher.add(batch('ann', 2), 2);
  void batcher.add(batch('bob', 3), 3).catch(() => {});
  await until(() => server.received.length === 1);
  t.equal(client.pendingEvents, 5, 'one request of weight 2 + 3');
  client.close();
  await t.rejects(pending, ShardUnavailable);
});

t.test('past 50,000 events a frame leaves at once, without waiting for the end of the turn', async (t) => {
  const { batcher, records, server } = await setup(t);
  // The event counts are the caller's; small batches keep the frame small.
  const a = batcher.add(batch('a', 1), 30_000);
  const b = batcher.add(batch('b', 1), 20_000); // reaches 50,000: flushed here
  const c = batcher.add(batch('c', 1), 1);
  t.same(await Promise.all([a, b, c]), [1, 1, 1]);
  t.equal(server.received.length, 2, 'two frames');
  t.same(
    records.map((r) => r.map((x) => x[2])),
    [['a', 'b'], ['c']],
    'the first holds the batches up to the limit, the second the rest of the turn',
  );
});

t.test('a failure from the shard rejects every batch of the frame', async (t) => {
  const { batcher, server } = await setup(t);
  server.onRequest = (_kind, id, _body, reply) => reply(Kind.Failure, id, packr.pack({ code: 'insufficient_storage', message: 'disk full' }));
  const results = await Promise.allSettled([batcher.add(batch('a', 1), 1), batcher.add(batch('b', 1), 1)]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  for (const r of results) {
    const reason = (r as PromiseRejectedResult).reason as unknown;
    t.ok(reason instanceof ShardRejected && reason.failure.code === 'insufficient_storage', 'ShardRejected(insufficient_storage)');
  }
  t.equal(server.received.length, 1, 'still one frame');
});

t.test('a shard that is not connected rejects every batch at once', async (t) => {
  const { batcher, client, server } = await setup(t);
  await server.stop();
  await until(() => !client.ready);
  const results = await Promise.allSettled([batcher.add(batch('a', 1), 1), batcher.add(batch('b', 1), 1)]);
  for (const r of results) t.ok(r.status === 'rejected' && r.reason instanceof ShardUnavailable, 'ShardUnavailable');
});
