import t from 'tap';
import { Appender } from '../../src/cluster/appender.js';
import { Engine, type EngineConfig } from '../../src/cluster/engine.js';
import { Fenced, NotOwner } from '../../src/cluster/errors.js';
import { leaseKey } from '../../src/cluster/names.js';
import { encodeItems } from '../../src/cluster/record.js';
import type { Timings } from '../../src/cluster/timings.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { sleep } from '../helpers/service.js';

// Leases and membership against a real 3-server cluster, with short timings so expiry is quick.
const timings: Timings = { leaseTtlMs: 3000, renewEveryMs: 500, marginMs: 1000, memberTtlMs: 3000, heartbeatEveryMs: 500 };
const nats = await NatsCluster.start();
t.teardown(() => nats.dispose());
const cfg: EngineConfig = { natsUrls: nats.urls, cluster: 'lease1', nodeId: 'host-a', partitions: 8, replicas: 3 };
const a = await Engine.connect(cfg, { timings });
const b = await Engine.connect({ ...cfg, nodeId: 'host-b' }, { timings });
t.teardown(() => Promise.all([a.close(), b.close()]));
const la = a.leaseManager();
const lb = b.leaseManager();
const enc = new TextEncoder();

t.test('take with create, renew with a revision CAS, release with a delete CAS', async (t) => {
  const lease = await la.acquire(0);
  t.ok(lease, 'host-a takes partition 0');
  t.equal(lease!.owner, `host-a/${lease!.epoch}`);
  t.equal(await lb.acquire(0), null, 'host-b cannot take it while held');
  const rev = lease!.revision;
  t.equal(await la.renew(lease!), 'renewed', 'the holder renews');
  t.ok(lease!.revision > rev, 'the revision moved');
  t.equal(lease!.epoch, rev, 'the epoch stays');
  // A writer holding an old revision (a paused holder, a forged copy) is refused by the CAS.
  t.equal(await lb.renew({ ...lease!, revision: rev }), 'lost', 'a renewal with a stale revision fails');
  t.same((await la.holders()).get(0), 'host-a', 'holders lists it (informational)');
  await la.release(lease!);
  t.ok(la.remainingMs(lease!) <= 0, 'a released lease allows no appends');
  const taken = await lb.acquire(0);
  t.ok(taken, 'host-b takes it at once after the release');
  await lb.release(taken!);
});

t.test('100 racing renewals with the same revision: exactly one wins each round', async (t) => {
  let lease = (await la.acquire(1))!;
  let both = 0;
  let none = 0;
  for (let i = 0; i < 100; i++) {
    const ca = { ...lease };
    const cb = { ...lease };
    const [ra, rb] = (await Promise.all([la.renew(ca), lb.renew(cb)])).map((r) => r === 'renewed');
    if (ra && rb) both++;
    if (!ra && !rb) none++;
    lease = ra ? ca : cb;
    if (ra === rb) break;
  }
  t.equal(both, 0, '0 of 100 rounds both won');
  t.equal(none, 0, 'and never neither');
  await la.release(lease);
});

t.test('a holder that stops renewing: its own clock stops it before expiry; another member takes over', async (t) => {
  const log = a.partitionLog(2);
  const lease = (await la.acquire(2))!;
  const takenAt = performance.now();
  const stale = new Appender(log, { expected: await log.lastSeq(), owner: lease.owner, guard: la.guard(lease) });
  await stale.append(enc.encode('while valid'));

  // host-a stops renewing (paused). host-b polls with create, as members do: expiry is silent on 2.10.
  let guardClosedAt = 0;
  let takeover: Awaited<ReturnType<typeof lb.acquire>> = null;
  while (!takeover && performance.now() - takenAt < 15_000) {
    if (!guardClosedAt && la.guard(lease)() !== undefined) guardClosedAt = performance.now();
    takeover = await lb.acquire(2);
    if (!takeover) await sleep(100);
  }
  const tookAfter = performance.now() - takenAt;
  t.ok(takeover, `host-b took the partition ${Math.round(tookAfter)} ms after host-a's last renewal`);
  t.ok(guardClosedAt > 0, 'host-a had stopped by its own clock');
  // validUntil counts from the send time of the create, before takenAt.
  t.ok(
    lease.validUntil - takenAt <= timings.leaseTtlMs - timings.marginMs,
    `host-a may append until ${Math.round(lease.validUntil - takenAt)} ms after (TTL ${timings.leaseTtlMs} - margin ${timings.marginMs})`,
  );
  t.ok(
    takenAt + tookAfter - lease.validUntil >= timings.marginMs - 100,
    `host-b took over ${Math.round(takenAt + tookAfter - lease.validUntil)} ms after host-a stopped`,
  );
  t.ok(tookAfter >= timings.leaseTtlMs - 100, 'the lease did not expire early');
  t.ok(tookAfter < timings.leaseTtlMs + 3000, 'nor much late');

  // host-a wakes up: its guard refuses, its renewal fails.
  await t.rejects(stale.append(enc.encode('after expiry')), NotOwner);
  t.equal(await la.renew(lease), 'lost', 'the old holder cannot renew');

  // Even a writer that ignores its clock is fenced once the new owner has appended.
  const nb = new Appender(b.partitionLog(2), { expected: await b.partitionLog(2).lastSeq(), owner: takeover!.owner, guard: lb.guard(takeover!) });
  await nb.append(enc.encode('new owner'));
  const seqBefore = (await log.last())!.seq;
  await t.rejects(
    log.store(encodeItems([enc.encode('rogue')]), { expected: seqBefore - 1, msgId: 'rogue', owner: lease.owner, retryUntil: performance.now() + 5000 }),
    Fenced,
  );
  await lb.release(takeover!);
});

t.test('renewals keep a lease alive past its TTL', async (t) => {
  const lease = (await la.acquire(3))!;
  const start = performance.now();
  while (performance.now() - start < timings.leaseTtlMs * 2) {
    t.equal(await la.renew(lease), 'renewed');
    t.ok(la.remainingMs(lease) > 0);
    await sleep(timings.renewEveryMs);
  }
  t.equal(await lb.acquire(3), null, 'nobody else got it');
  await la.release(lease);
});

t.test('members register, leave, and expire silently when they stop heartbeating', async (t) => {
  const ma = a.memberRegistry({ address: 'http://127.0.0.1:1' });
  const mb = b.memberRegistry({ address: 'http://127.0.0.1:2' });
  await ma.join();
  await mb.join();
  // A member that registered once and died (no heartbeat, no leave).
  await a.members.put('ghost', JSON.stringify({ id: 'ghost', address: '', since: Date.now() }));
  t.same(
    (await ma.list()).map((m) => m.id),
    ['ghost', 'host-a', 'host-b'],
  );
  t.equal((await mb.list()).find((m) => m.id === 'host-a')?.address, 'http://127.0.0.1:1');
  await mb.leave();
  t.same(
    (await ma.list()).map((m) => m.id),
    ['ghost', 'host-a'],
    'a member that left is gone at once',
  );
  await sleep(timings.memberTtlMs + 1500);
  t.same(
    (await ma.list()).map((m) => m.id),
    ['host-a'],
    'the silent one expired; the heartbeating one stays',
  );
  await ma.leave();
  t.same(await ma.list(), []);
});

t.test('lease keys are per partition', async (t) => {
  t.equal(leaseKey(12), 'p12');
});
