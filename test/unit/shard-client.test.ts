import t, { type Test } from 'tap';
import { ShardClient, ShardRejected, ShardUnavailable, type ShardClientOptions } from '../../src/transport/client.js';
import { Kind, packr, type ShardFailure } from '../../src/protocol/index.js';
import { FrameServer, until, type Received } from '../helpers/frame-server.js';

// The front's client to one shard, against a stand-in shard on a real Unix socket.

const OPTIONS: ShardClientOptions = { shards: 1, ackTimeoutMs: 5000, maxInflightEvents: 1000 };

async function setup(t: Test, options: Partial<ShardClientOptions> = {}) {
  const { path, cleanup } = FrameServer.tempPath();
  const server = await new FrameServer(path).start();
  const logs: string[] = [];
  const client = new ShardClient(0, path, { ...OPTIONS, ...options }, (msg) => logs.push(msg));
  t.teardown(async () => {
    client.close();
    await server.stop();
    cleanup();
  });
  return { path, server, client, logs };
}

const body = (value: unknown) => packr.pack(value);
const answer = (r: Received, value: unknown) => r.reply(Kind.Result, r.id, packr.pack(value));

/** Expects `p` to reject with ShardUnavailable whose message matches `pattern`. */
async function rejectsUnavailable(t: Test, p: Promise<unknown>, pattern: RegExp, what: string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof ShardUnavailable, `${what}: ShardUnavailable`);
  t.match((err as Error | null)?.message, pattern, what);
}

t.test('not ready before the hello; ready and answering after it', async (t) => {
  const { client, server } = await setup(t);
  t.equal(client.ready, false, 'not ready while connecting');
  await rejectsUnavailable(t, client.request(Kind.Query, body({ op: 'status' })), /shard 0 is not connected/, 'request before hello');
  await until(() => client.ready, 5000, 'hello');
  t.equal(client.connections, 1);
  server.onRequest = (kind, id, b, reply) => reply(Kind.Result, id, packr.pack({ echo: packr.unpack(b) as unknown, kind }));
  const reply = await client.request(Kind.Query, body({ op: 'user', user: 'ann' }));
  t.same(packr.unpack(reply), { echo: { op: 'user', user: 'ann' }, kind: Kind.Query }, 'the reply of the request comes back');
  t.equal(client.unanswered, 0);
  t.equal(client.pendingEvents, 0);
});

t.test('replies are matched to their requests by id, in any order', async (t) => {
  const { client, server } = await setup(t);
  await until(() => client.ready);
  const a = client.request(Kind.Query, body('a'));
  const b = client.request(Kind.Query, body('b'));
  await until(() => server.received.length === 2);
  const [ra, rb] = server.received;
  answer(rb!, 'for b');
  answer(ra!, 'for a');
  t.same([packr.unpack(await a), packr.unpack(await b)], ['for a', 'for b']);
});

t.test('a hello from the wrong shard is refused', async (t) => {
  const { client, server, logs } = await setup(t);
  server.hello = { shard: 1, shards: 2, pid: 1 };
  server.dropConnections(); // the first connection may have had the right hello already
  await until(() => logs.some((l) => l.includes('answered as shard 1 of 2')), 5000, 'the refusal');
  t.equal(client.ready, false, 'not ready');
  t.match(
    logs.find((l) => l.includes('answered as')),
    /expected 0 of 1/,
  );
});

t.test('a Failure reply rejects with ShardRejected carrying the failure', async (t) => {
  const { client, server } = await setup(t);
  await until(() => client.ready);
  const failure: ShardFailure = { code: 'insufficient_storage', message: 'map full' };
  server.onRequest = (_kind, id, _b, reply) => reply(Kind.Failure, id, packr.pack(failure));
  const err = await client.request(Kind.Ingest, body([]), 3).catch((e: unknown) => e);
  t.ok(err instanceof ShardRejected, 'ShardRejected');
  t.same((err as ShardRejected).failure, failure);
  t.equal(client.pendingEvents, 0, 'its weight is released');
});

t.test('a request not confirmed within ackTimeoutMs fails, and its weight stays until the shard replies', async (t) => {
  const { client, server } = await setup(t, { ackTimeoutMs: 60 });
  await until(() => client.ready);
  const started = Date.now();
  const p = client.request(Kind.Ingest, body([]), 7);
  t.equal(client.pendingEvents, 7);
  t.equal(client.unanswered, 1);
  await rejectsUnavailable(t, p, /shard 0 did not confirm within 60 ms/, 'expired request');
  t.ok(Date.now() - started >= 60, 'not before the deadline');
  t.equal(client.unanswered, 0, 'no longer waiting for an HTTP answer');
  t.equal(client.pendingEvents, 7, 'still counted: the shard may be holding it');
  await until(() => server.received.length === 1);
  answer(server.received[0]!, [7]);
  await until(() => client.pendingEvents === 0, 5000, 'the late reply to release the weight');
  t.pass('the late reply released the weight');
});

t.test('maxInflightEvents bounds the events waiting, expired ones included', async (t) => {
  const { client, server } = await setup(t, { maxInflightEvents: 10, ackTimeoutMs: 60 });
  await until(() => client.ready);
  const held = client.request(Kind.Ingest, body([]), 6);
  await rejectsUnavailable(t, client.request(Kind.Ingest, body([]), 5), /shard 0 is overloaded \(6 events waiting\)/, '6 + 5 > 10');
  const fits = client.request(Kind.Ingest, body([]), 4);
  t.equal(client.pendingEvents, 10, '6 + 4 = 10 fits');
  await rejectsUnavailable(t, client.request(Kind.Query, body({ op: 'status' })), /overloaded \(10 events waiting\)/, 'full');
  await rejectsUnavailable(t, held, /did not confirm/, 'first expires');
  await rejectsUnavailable(t, fits, /did not confirm/, 'second expires');
  await rejectsUnavailable(t, client.request(Kind.Ingest, body([]), 1), /overloaded \(10 events waiting\)/, 'expired requests still count');
  await until(() => server.received.length === 2);
  answer(server.received[0]!, [6]);
  await until(() => client.pendingEvents === 4);
  const after = client.request(Kind.Ingest, body([]), 6);
  t.equal(client.pendingEvents, 10, 'room again once the shard replied');
  await until(() => server.received.length === 3);
  answer(server.received[2]!, [6]);
  await after;
});

t.test('one request heavier than the bound is let through when nothing else waits', async (t) => {
  const { client, server } = await setup(t, { maxInflightEvents: 10 });
  await until(() => client.ready);
  server.onRequest = (_kind, id, _b, reply) => reply(Kind.Ack, id, packr.pack([50]));
  t.same(packr.unpack(await client.request(Kind.Ingest, body([]), 50)), [50], 'a batch larger than the bound is not refused forever');
});

t.test('a dropped connection fails what is in flight, clears the count, and reconnects', async (t) => {
  const { client, server, logs } = await setup(t, { ackTimeoutMs: 60 });
  await until(() => client.ready);
  const expired = client.request(Kind.Ingest, body([]), 3);
  await rejectsUnavailable(t, expired, /did not confirm/, 'first request expires');
  const waiting = client.request(Kind.Ingest, body([]), 2);
  t.equal(client.pendingEvents, 5);
  await until(() => server.received.length === 2);
  server.dropConnections();
  await rejectsUnavailable(t, waiting, /shard 0 connection closed before it confirmed the request/, 'in flight at the drop');
  t.equal(client.pendingEvents, 0, 'expired and in-flight weight both released');
  t.equal(client.ready, false);
  t.ok(
    logs.some((l) => l === 'shard 0 disconnected; reconnecting'),
    'the drop is logged',
  );
  await until(() => client.ready, 5000, 'reconnect');
  t.equal(client.connections, 2);
});

t.test('reconnects with doubling backoff, capped at 1 s, reset by a hello', async (t) => {
  const { client, server } = await setup(t);
  await until(() => client.ready);
  // A shard that accepts and hangs up before its hello: every attempt is seen, none succeeds.
  server.hello = null;
  server.hangUp = true;
  const from = server.accepted.length;
  const dropped = performance.now();
  server.dropConnections();
  const expected = [25, 50, 100, 200, 400, 800, 1000, 1000];
  await until(() => server.accepted.length >= from + expected.length, 10_000, 'attempts');
  const times = [dropped, ...server.accepted.slice(from, from + expected.length)];
  const gaps = times.slice(1).map((time, i) => time - times[i]!);
  t.comment(`gaps between attempts (ms): ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  gaps.forEach((gap, i) => {
    const want = expected[i]!;
    t.ok(gap >= want - 5 && gap < want + 400, `attempt ${i + 1} after ~${want} ms (took ${gap.toFixed(0)} ms)`);
  });
  // Back to a shard that says hello: connected, and the backoff starts over.
  server.hello = { shard: 0, shards: 1, pid: process.pid };
  server.hangUp = false;
  await until(() => client.ready, 5000, 'reconnect after the shard is back');
  const before = server.accepted.length;
  const droppedAgain = performance.now();
  server.dropConnections();
  await until(() => server.accepted.length > before, 5000, 'next attempt');
  t.ok(server.accepted[before]! - droppedAgain < 400, 'the first retry after a good connection waits the minimum again');
});

t.test('reconnects after the shard process restarts on the same path', async (t) => {
  const { client, server, path } = await setup(t);
  await until(() => client.ready);
  await server.stop();
  await until(() => !client.ready, 5000, 'the drop to be noticed');
  await rejectsUnavailable(t, client.request(Kind.Query, body({ op: 'status' })), /not connected/, 'request while down');
  await new Promise((resolve) => setTimeout(resolve, 300)); // a few failed attempts (no socket file)
  const again = await new FrameServer(path).start();
  t.teardown(() => again.stop());
  await until(() => client.ready, 5000, 'reconnect');
  t.equal(client.connections, 2);
  again.onRequest = (_kind, id, _b, reply) => reply(Kind.Result, id, packr.pack('up'));
  t.equal(packr.unpack(await client.request(Kind.Query, body({ op: 'status' }))), 'up');
});

t.test('close() fails what is in flight and stops reconnecting', async (t) => {
  const { client, server } = await setup(t);
  await until(() => client.ready);
  const p = client.request(Kind.Query, body({ op: 'status' }));
  const attempts = server.accepted.length;
  client.close();
  await rejectsUnavailable(t, p, /connection closed/, 'in flight at close');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(server.accepted.length, attempts, 'no new connection');
  t.equal(client.ready, false);
});
