import { headers } from '@nats-io/transport-node';
import t from 'tap';
import { Appender } from '../../src/cluster/appender.js';
import { Engine, type EngineConfig } from '../../src/cluster/engine.js';
import { AppenderClosed, Fenced, ForkDetected, ReplayStalled } from '../../src/cluster/errors.js';
import { encodeItems, HDR_OWNER, HDR_PREV, type LogRecord } from '../../src/cluster/record.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { sleep } from '../helpers/service.js';

// The replicated log against a real 3-server cluster: fence, group commit, retries, replay chain, purge.
const nats = await NatsCluster.start();
t.teardown(() => nats.dispose());
let n = 0;
const config = (over: Partial<EngineConfig> = {}): EngineConfig => ({
  natsUrls: nats.urls,
  cluster: `log${++n}`,
  nodeId: 'host-a',
  partitions: 8,
  replicas: 3,
  ...over,
});
const enc = new TextEncoder();
const dec = new TextDecoder();
const item = (s: string): Uint8Array => enc.encode(s);

async function readAll(engine: Engine, partition: number, after = 0): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of engine.partitionLog(partition).replay(after)) out.push(r);
  return out;
}

const cfg = config();
const a = await Engine.connect(cfg);
const b = await Engine.connect({ ...cfg, nodeId: 'host-b' });
t.teardown(() => Promise.all([a.close(), b.close()]));

t.test('group commit: items appended while a record is in flight share the next record; replay returns them in order', async (t) => {
  const log = a.partitionLog(0);
  const stored: LogRecord[] = [];
  const app = new Appender(log, { expected: await log.lastSeq(), owner: 'host-a/1', onStored: (r) => stored.push(r) });
  const seqs = await Promise.all(Array.from({ length: 500 }, (_, i) => app.append(item(`e${i}`))));
  t.ok(stored.length < 500, `500 items in ${stored.length} records`);
  t.equal(app.queued, 0);
  t.same(
    seqs,
    [...seqs].sort((x, y) => x - y),
    'acknowledged in log order',
  );
  const records = await readAll(a, 0);
  t.same(
    records.map((r) => r.seq),
    stored.map((r) => r.seq),
    'replay returns the stored records',
  );
  t.same(
    records.flatMap((r) => r.items.map((i) => dec.decode(i))),
    Array.from({ length: 500 }, (_, i) => `e${i}`),
    'every item once, in order',
  );
  t.equal(records[0]!.prev, 0, 'the first record follows nothing');
  for (let i = 1; i < records.length; i++) t.equal(records[i]!.prev, records[i - 1]!.seq);
  t.equal(records[0]!.owner, 'host-a/1');
  // A record never exceeds the limit: one item over it is refused up front.
  const small = new Appender(log, { expected: app.expected, owner: 'host-a/1', maxRecordBytes: 64 });
  await t.rejects(small.append(new Uint8Array(100)), RangeError);
  const split = await Promise.all(Array.from({ length: 10 }, (_, i) => small.append(item(`x${i}`.padEnd(20, '.')))));
  t.ok(new Set(split).size >= 4, `records capped at 64 bytes: 10 items of 24 framed bytes in ${new Set(split).size} records`);
});

t.test('two writers racing with the same expected sequence: exactly one is stored, every round', async (t) => {
  const la = a.partitionLog(1);
  const lb = b.partitionLog(1);
  let expected = await la.lastSeq();
  const rounds = 300;
  let both = 0;
  let none = 0;
  for (let i = 0; i < rounds; i++) {
    const until = performance.now() + 10_000;
    const results = await Promise.allSettled([
      la.store(encodeItems([item(`a${i}`)]), { expected, msgId: `a-${i}`, owner: 'host-a/1', retryUntil: until }),
      lb.store(encodeItems([item(`b${i}`)]), { expected, msgId: `b-${i}`, owner: 'host-b/1', retryUntil: until }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<number>[];
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    if (won.length === 2) both++;
    if (won.length === 0) none++;
    for (const l of lost) if (!(l.reason instanceof Fenced)) t.fail(`round ${i}: the loser got ${l.reason}, not Fenced`);
    if (won.length !== 1) break;
    expected = won[0]!.value;
  }
  t.equal(both, 0, `0 of ${rounds} rounds both accepted`);
  t.equal(none, 0, 'and never neither');
  const records = await readAll(a, 1);
  t.equal(records.length, rounds, 'one record per round in the log');
});

t.test('a retry of a stored record is recognised by its Msg-Id; a stale writer is Fenced', async (t) => {
  const log = a.partitionLog(2);
  const before = await log.lastSeq();
  const until = (): number => performance.now() + 10_000;
  const seq = await log.store(encodeItems([item('r')]), { expected: before, msgId: 'retry-1', owner: 'host-a/1', retryUntil: until() });
  // The same record again, as a retry after a lost answer would send it: same Msg-Id, same fence.
  t.equal(
    await log.store(encodeItems([item('r')]), { expected: before, msgId: 'retry-1', owner: 'host-a/1', retryUntil: until() }),
    seq,
    'the retry answers the first sequence',
  );
  await t.rejects(
    log.store(encodeItems([item('s')]), { expected: before, msgId: 'other', owner: 'host-a/1', retryUntil: until() }),
    Fenced,
    'another record with a stale fence is Fenced',
  );
  t.equal((await readAll(a, 2)).length, 1, 'stored once');
});

t.test('an appender whose partition was taken over is Fenced and appends nothing more', async (t) => {
  const la = a.partitionLog(3);
  const lb = b.partitionLog(3);
  const old = new Appender(la, { expected: await la.lastSeq(), owner: 'host-a/1' });
  await old.append(item('before'));
  // host-b takes over: it read the log (replay) and appends from the same last record.
  let failed: Error | undefined;
  const stale = new Appender(la, { expected: old.expected, owner: 'host-a/1', onFailed: (e) => (failed = e) });
  const next = new Appender(lb, { expected: old.expected, owner: 'host-b/2' });
  await next.append(item('takeover'));
  const err = await stale.append(item('stale')).catch((e: unknown) => e);
  t.type(err, Fenced);
  t.match((err as Error).message, /^partition 3: fenced, expected last sequence \d+ but the log is at \d+/);
  t.equal(failed, err, 'onFailed reports it');
  t.equal(await stale.append(item('later')).catch((e: unknown) => e), err, 'later appends are refused with the same error');
  const items = (await readAll(a, 3)).flatMap((r) => r.items.map((i) => dec.decode(i)));
  t.same(items, ['before', 'takeover'], 'nothing of the fenced writer reached the log');
});

t.test('a closed guard stops appends before they are sent (NotOwner)', async (t) => {
  const log = a.partitionLog(4);
  let open = true;
  const app = new Appender(log, { expected: await log.lastSeq(), owner: 'host-a/1', guard: () => (open ? undefined : 'lease ran out') });
  await app.append(item('ok'));
  open = false;
  await t.rejects(app.append(item('late')), { name: 'NotOwner', message: /partition 4: not the owner \(lease ran out\)/ });
  t.equal((await readAll(a, 4)).length, 1);
  app.close();
  await t.rejects(app.append(item('x')), { name: 'NotOwner' }, 'the first failure stays the reason');
  const closed = new Appender(log, { expected: 0, owner: 'x' });
  closed.close();
  await t.rejects(closed.append(item('x')), AppenderClosed);
});

t.test('replay detects a broken chain (a record whose writer expected another predecessor)', async (t) => {
  const log = a.partitionLog(5);
  const app = new Appender(log, { expected: await log.lastSeq(), owner: 'host-a/1' });
  await app.append(item('one'));
  await app.append(item('two'));
  // A writer that bypasses the fence and claims a wrong predecessor: the engine would have refused
  // it with the fence, so publish it raw to stand for an engine that misbehaved.
  const h = headers();
  h.set(HDR_PREV, '1');
  h.set(HDR_OWNER, 'rogue/9');
  await a.js.publish(log.subject, encodeItems([item('forked')]), { headers: h });
  const got: string[] = [];
  const err = await (async () => {
    for await (const r of log.replay(0)) got.push(...r.items.map((i) => dec.decode(i)));
  })().catch((e: unknown) => e);
  t.type(err, ForkDetected);
  t.match((err as Error).message, /^partition 5: record \d+ was written after 1, but the log's previous record is \d+/);
  t.same(got, ['one', 'two'], 'the records before the break were read');
});

t.test('snapshot then purge: the log keeps the covered record, replay from the snapshot reads the rest', async (t) => {
  const log = a.partitionLog(6);
  const app = new Appender(log, { expected: await log.lastSeq(), owner: 'host-a/1' });
  const seqs: number[] = [];
  for (let i = 0; i < 20; i++) seqs.push(await app.append(item(`s${i}`)));
  const snaps = a.snapshotStore();
  t.equal(await snaps.get(6), null, 'no snapshot yet');
  const state = enc.encode('state after s0..s9');
  const purged = await snaps.storeAndPurge(log, { seq: seqs[9]!, data: state });
  t.equal(purged, 9, 'the 9 records before the covered one are purged');
  const snap = await b.snapshotStore().get(6);
  t.equal(snap?.seq, seqs[9], 'another host reads the snapshot and its sequence');
  t.same(snap && dec.decode(snap.data), 'state after s0..s9');
  t.equal(await a.jsm.streams.getMessage(log.stream, { seq: seqs[0]! }), null, 'the first record is gone');
  const rest = await readAll(b, 6, snap!.seq);
  t.same(
    rest.flatMap((r) => r.items.map((i) => dec.decode(i))),
    Array.from({ length: 10 }, (_, i) => `s${i + 10}`),
    'replay after the snapshot',
  );
  // A snapshot covering the last record: the purge keeps it, so the fence still has a last sequence.
  await snaps.storeAndPurge(log, { seq: seqs[19]!, data: enc.encode('all') });
  t.equal(await log.lastSeq(), seqs[19], 'the last record is kept');
  t.equal((await readAll(a, 6, seqs[19])).length, 0);
  t.equal(await app.append(item('after')), await log.lastSeq(), 'appends continue after the purge');
  // A big snapshot goes in chunks.
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
  await snaps.put(7, { seq: 0, data: big });
  t.same(Buffer.from((await b.snapshotStore().get(7))!.data).equals(Buffer.from(big)), true, 'a 3 MiB snapshot round-trips');
});

t.test('kill -9 of the stream leader during appends: no acknowledged item lost or doubled, appends resume', async (t) => {
  const partition = 7;
  const log = a.partitionLog(partition);
  const app = new Appender(log, { expected: await log.lastSeq(), owner: 'host-a/1' });
  const leaderName = (await a.jsm.streams.info(log.stream)).cluster!.leader!;
  const victim = nats.indexOf(leaderName);
  const acked = new Map<string, number>();
  const ackTimes: number[] = [];
  let failures = 0;
  let killedAt = 0;
  let stop = false;
  const loops = Array.from({ length: 16 }, async (_, l) => {
    for (let i = 0; !stop; i++) {
      const id = `k${l}-${i}`;
      const sent = performance.now();
      try {
        await app.append(item(id));
        acked.set(id, performance.now());
        // Only appends sent after the kill show the recovery (earlier ones may have been answered already).
        if (sent > killedAt && killedAt > 0) ackTimes.push(performance.now());
      } catch {
        failures++;
        await sleep(50);
      }
    }
  });
  await sleep(1000);
  killedAt = performance.now();
  await nats.kill(victim);
  // Run until appends have flowed again for 2 s after the kill, at most 40 s.
  const deadline = killedAt + 40_000;
  while (performance.now() < deadline) {
    if (ackTimes.length > 0 && performance.now() - ackTimes[0]! > 2000) break;
    await sleep(100);
  }
  stop = true;
  await Promise.all(loops);
  const firstAfter = ackTimes[0];
  t.ok(firstAfter, 'appends resumed after the leader was killed');
  const recovery = firstAfter! - killedAt;
  t.comment(`stream leader ${leaderName} killed: first acknowledged append ${Math.round(recovery)} ms later; ${acked.size} acknowledged, ${failures} failed`);
  t.equal(app.failed, undefined, 'the appender rode out the election (no fence, nothing unconfirmed)');
  t.equal(failures, 0);

  const records = await readAll(b, partition);
  const count = new Map<string, number>();
  for (const r of records) for (const i of r.items) count.set(dec.decode(i), (count.get(dec.decode(i)) ?? 0) + 1);
  const lost = [...acked.keys()].filter((id) => !count.has(id));
  const doubled = [...count].filter(([, c]) => c > 1);
  t.equal(lost.length, 0, `0 of ${acked.size} acknowledged items lost`);
  t.equal(doubled.length, 0, 'no item stored twice');
  await nats.restart(victim);
});

t.test('a replay that receives nothing for a while stops with ReplayStalled at its last record; read on from there, it gets the rest', async (t) => {
  const engine = await Engine.connect(config());
  t.teardown(() => engine.close());
  const log = engine.partitionLog(0);
  const app = new Appender(log, { expected: 0, owner: 'host-a/1' });
  for (let i = 0; i < 30; i++) await app.append(item(`r${i}`));
  const got: string[] = [];
  let last = 0;
  const started = performance.now();
  let stoppedAt = 0;
  let resume: NodeJS.Timeout | undefined;
  // Every server stopped (SIGSTOP) mid-replay: the consumer delivers nothing more.
  const err = await (async () => {
    for await (const r of log.replay(0, { batch: 1, stallMs: 1000 })) {
      got.push(...r.items.map((i) => dec.decode(i)));
      last = r.seq;
      if (got.length === 10) {
        stoppedAt = performance.now();
        for (let i = 0; i < nats.size; i++) await nats.signal(i, 'SIGSTOP');
        // Without the watchdog the replay would wait for ever: resume the servers anyway, later.
        resume = setTimeout(() => void Promise.all([0, 1, 2].map((i) => nats.signal(i, 'SIGCONT'))), 15_000);
      }
    }
  })()
    .catch((e: unknown) => e)
    .finally(async () => {
      clearTimeout(resume);
      for (let i = 0; i < nats.size; i++) await nats.signal(i, 'SIGCONT');
    });
  t.type(err, ReplayStalled, `stopped by the watchdog (${Math.round(performance.now() - started)} ms)`);
  t.ok(stoppedAt > 0 && performance.now() - stoppedAt < 10_000, 'within seconds of the last record, not the client default of 30 s');
  t.equal((err as ReplayStalled).at, last, 'it names the last record it yielded');
  t.ok(got.length >= 10 && got.length < 30, `${got.length} of 30 records read before the stall`);
  for await (const r of log.replay(last)) got.push(...r.items.map((i) => dec.decode(i)));
  t.same(
    got,
    Array.from({ length: 30 }, (_, i) => `r${i}`),
    'read on from there: every record once, in order',
  );
});
