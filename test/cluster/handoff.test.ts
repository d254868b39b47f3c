import t from 'tap';
import { Appender } from '../../src/cluster/appender.js';
import { Engine, type EngineConfig } from '../../src/cluster/engine.js';
import { Fenced, NotOwner } from '../../src/cluster/errors.js';
import { closePartition, openPartition, type PartitionState } from '../../src/cluster/partition-handoff.js';
import type { Timings } from '../../src/cluster/timings.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { sleep } from '../helpers/service.js';

// A partition moving between owners through snapshot + replay + marker, on a real 3-server cluster.
const timings: Timings = { leaseTtlMs: 3000, renewEveryMs: 500, marginMs: 1000, memberTtlMs: 3000, heartbeatEveryMs: 500 };
const nats = await NatsCluster.start();
t.teardown(() => nats.dispose());
const cfg: EngineConfig = { natsUrls: nats.urls, cluster: 'handoff1', nodeId: 'host-a', partitions: 4, replicas: 3 };
const a = await Engine.connect(cfg, { timings, spreadLeaders: false });
const b = await Engine.connect({ ...cfg, nodeId: 'host-b' }, { timings, spreadLeaders: false });
t.teardown(() => Promise.all([a.close(), b.close()]));
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A toy partition state: the items in order; its snapshot is their JSON. */
class Items implements PartitionState {
  items: string[] = [];
  restore(s: { data: Uint8Array } | null): void {
    this.items = s ? (JSON.parse(dec.decode(s.data)) as string[]) : [];
  }
  apply(r: { items: Uint8Array[] }): void {
    for (const i of r.items) this.items.push(dec.decode(i));
  }
  data(): Uint8Array {
    return enc.encode(JSON.stringify(this.items));
  }
}

t.test('graceful hand-over, then takeover after a crash: state carried, the former owner fenced', async (t) => {
  const la = a.leaseManager();
  const lb = b.leaseManager();

  // host-a owns partition 0 from nothing and appends.
  const leaseA = (await la.acquire(0))!;
  const sa = new Items();
  const openA = await openPartition(a, la, leaseA, sa);
  t.equal(openA.snapshotSeq, 0);
  t.equal(openA.replayed, 0);
  await Promise.all(Array.from({ length: 10 }, (_, i) => openA.appender.append(enc.encode(`a${i}`))));
  t.same(
    sa.items,
    Array.from({ length: 10 }, (_, i) => `a${i}`),
    'applied as stored',
  );
  const renewA = setInterval(() => void la.renew(leaseA), timings.renewEveryMs);

  // Graceful hand-over: snapshot at the last record, purge, release.
  const snap = await closePartition(a, openA.appender, () => sa.data());
  clearInterval(renewA);
  await la.release(leaseA);
  t.equal(snap.seq, openA.appender.expected);

  // host-b takes it: everything comes from the snapshot, nothing to replay.
  const leaseB = (await lb.acquire(0))!;
  t.ok(leaseB, 'host-b takes the released partition at once');
  const sb = new Items();
  const openB = await openPartition(b, lb, leaseB, sb);
  t.equal(openB.snapshotSeq, snap.seq);
  t.equal(openB.replayed, 0, 'nothing to replay after a graceful hand-over');
  t.same(sb.items, sa.items, 'host-b has host-a state');
  t.ok(openB.markerSeq > snap.seq);
  await openB.appender.append(enc.encode('b0'));
  await openB.appender.append(enc.encode('b1'));

  // host-b "crashes" (stops renewing); after the lease expires host-a takes over from snapshot + replay.
  let leaseA2 = null;
  const start = performance.now();
  while (!leaseA2 && performance.now() - start < 15_000) {
    leaseA2 = await la.acquire(0);
    if (!leaseA2) await sleep(100);
  }
  t.ok(leaseA2, `host-a took over after ${Math.round(performance.now() - start)} ms`);
  const sa2 = new Items();
  const openA2 = await openPartition(a, la, leaseA2!, sa2);
  t.equal(openA2.snapshotSeq, snap.seq, 'from the hand-over snapshot');
  t.ok(openA2.replayed >= 2, `replayed ${openA2.replayed} records (host-b's marker and appends)`);
  t.same(sa2.items, [...sa.items, 'b0', 'b1'], 'nothing lost, nothing twice');

  // host-b wakes up: its clock stops it; and without the clock, the marker fences it.
  await t.rejects(openB.appender.append(enc.encode('late')), NotOwner);
  const rogue = new Appender(b.partitionLog(0), { expected: openB.appender.expected, owner: leaseB.owner });
  await t.rejects(rogue.append(enc.encode('rogue')), Fenced, "host-a's marker fences host-b before host-a's first event");
  await openA2.appender.append(enc.encode('a-after'));
  const check = new Items();
  await openPartition(a, la, leaseA2!, check); // replaying again as a third owner would
  t.same(check.items, [...sa.items, 'b0', 'b1', 'a-after']);
  await la.release(leaseA2!);
});
