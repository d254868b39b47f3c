import t from 'tap';
import { Coordinator, type PartitionHandler } from '../../src/cluster/coordinator.js';
import { Engine, type EngineConfig } from '../../src/cluster/engine.js';
import type { Timings } from '../../src/cluster/timings.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { sleep } from '../helpers/service.js';

// Members balancing partitions through leases on a real 3-server cluster: join, graceful leave, crash.
const timings: Timings = { leaseTtlMs: 3000, renewEveryMs: 500, marginMs: 1000, memberTtlMs: 3000, heartbeatEveryMs: 500 };
const P = 12;
const nats = await NatsCluster.start();
t.teardown(() => nats.dispose());
const cfg: EngineConfig = { natsUrls: nats.urls, cluster: 'coord1', nodeId: 'x', partitions: P, replicas: 3 };

/** Who serves each partition per the handlers' calls; a second owner at once is recorded as a violation. */
const serving = new Map<number, string>();
const violations: string[] = [];
const events: string[] = [];

function handler(id: string): PartitionHandler {
  return {
    async acquired(p) {
      const other = serving.get(p);
      if (other !== undefined) violations.push(`${id} acquired ${p} while ${other} served it`);
      serving.set(p, id);
      events.push(`${id}+${p}`);
      await sleep(20); // a snapshot load and replay take a moment
    },
    async releasing(p) {
      if (serving.get(p) === id) serving.delete(p);
      events.push(`${id}-${p}`);
    },
    lost(p) {
      if (serving.get(p) === id) serving.delete(p);
      events.push(`${id}!${p}`);
    },
  };
}

const engines: Engine[] = [];
async function member(id: string): Promise<Coordinator> {
  const engine = await Engine.connect({ ...cfg, nodeId: id }, { timings, spreadLeaders: false });
  engines.push(engine);
  return new Coordinator({ partitions: P, leases: engine.leaseManager(), members: engine.memberRegistry(), handler: handler(id) });
}
t.teardown(() => Promise.all(engines.map((e) => e.close())));

function counts(): Record<string, number> {
  const c: Record<string, number> = {};
  for (const id of serving.values()) c[id] = (c[id] ?? 0) + 1;
  return c;
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<number> {
  const start = performance.now();
  while (!ok()) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; serving ${JSON.stringify(counts())}`);
    await sleep(50);
  }
  return performance.now() - start;
}

const balanced = (ids: string[]): boolean => {
  const c = counts();
  const lo = Math.floor(P / ids.length);
  return serving.size === P && ids.every((id) => c[id] === lo || c[id] === lo + 1) && Object.keys(c).length === ids.length;
};

t.test('a lone member takes every partition; members joining get fair shares; nothing served twice', async (t) => {
  const a = await member('host-a');
  await a.start();
  await until('host-a serves all', () => serving.size === P && counts()['host-a'] === P);
  t.same(
    a.owned(),
    Array.from({ length: P }, (_, i) => i),
  );

  const b = await member('host-b');
  await b.start();
  const ab = await until('a/b balanced', () => balanced(['host-a', 'host-b']));
  t.comment(`host-b joined: balanced 6/6 after ${Math.round(ab)} ms`);
  const c = await member('host-c');
  await c.start();
  const abc = await until('a/b/c balanced', () => balanced(['host-a', 'host-b', 'host-c']));
  t.comment(`host-c joined: balanced 4/4/4 after ${Math.round(abc)} ms`);
  t.same(counts(), { 'host-a': 4, 'host-b': 4, 'host-c': 4 });
  t.same(violations, [], 'never two owners at once');
  t.equal(events.filter((e) => e.includes('!')).length, 0, 'no lease lost on the way');

  // Graceful stop: host-c hands its partitions over and leaves; the others take them at once.
  const stopStart = performance.now();
  await c.stop();
  t.ok(performance.now() - stopStart < 5000, `host-c stopped in ${Math.round(performance.now() - stopStart)} ms`);
  t.same(c.owned(), []);
  const after = await until('a/b after c left', () => balanced(['host-a', 'host-b']));
  t.comment(`host-c left: its partitions served again after ${Math.round(after)} ms`);
  t.ok(after < timings.leaseTtlMs, 'sooner than a lease expiry: they were released, not left to expire');

  // Crash: host-b stops renewing and heartbeating without a word; host-a takes over after expiry.
  const crashedAt = performance.now();
  const bOwned = b.owned();
  b.abandon();
  for (const p of bOwned) serving.delete(p); // as far as the world knows it is gone
  const took = await until('host-a takes over host-b', () => counts()['host-a'] === P, 30_000);
  t.comment(`host-b crashed: its ${bOwned.length} partitions served by host-a after ${Math.round(took)} ms`);
  t.ok(performance.now() - crashedAt >= timings.leaseTtlMs - timings.renewEveryMs - 100, 'not before its leases could expire');
  t.same(violations, []);
  await a.stop();
  t.same(a.owned(), []);
});
