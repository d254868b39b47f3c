import { spawnSync } from 'node:child_process';
import t from 'tap';
import { allPartitionsWritable, call, crashHost, getOk, KeyedLoad, startHost, userPerPartition, verifyLoad } from '../helpers/cluster-hosts.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { ROOT, sleep, type Service } from '../helpers/service.js';

// Hosts of a cluster as `npm start` runs them (pm2-runtime, front + 2 members each), on one real
// 3-server NATS cluster; each test its own CLUSTER. Failover and hand-over under a keyed load whose
// oracle catches a lost or a doubly applied request.
const nats = await NatsCluster.start();
t.teardown(() => nats.dispose());
const P = 16;
let clusters = 0;
let hosts: Service[] = [];
// Each test's hosts are stopped after it: the machine is small.
t.afterEach(async () => {
  for (const h of hosts) await h.dispose().catch(() => {});
  hosts = [];
});

async function host(cluster: string, nodeId: string, env: Record<string, string> = {}): Promise<Service> {
  const h = await startHost(nats, nodeId, { cluster, partitions: P, env });
  hosts.push(h);
  return h;
}

/** Partitions each host serves, from GET /cluster. */
async function shares(url: string): Promise<Record<string, number>> {
  const r = await getOk(`${url}/cluster`);
  const out: Record<string, number> = {};
  for (const p of r.body.partitions as { host: string | null; serving: boolean }[]) if (p.serving && p.host) out[p.host] = (out[p.host] ?? 0) + 1;
  return out;
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!(await ok())) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
  return performance.now() - start;
}

t.test('read-your-writes across hosts; Idempotency-Key recognised by the other host; /readyz and /cluster', async (t) => {
  const cluster = `rw${++clusters}`;
  const a = await host(cluster, 'host-a');
  const b = await host(cluster, 'host-b');
  const ready = await call(`${b.url}/readyz`);
  t.equal(ready.status, 200, `B ready: ${JSON.stringify(ready.body)}`);

  // One user per partition, so every member and both transports (socket, NATS) are used.
  const users = userPerPartition(P, 'ryw');
  for (const [i, user] of users.entries()) {
    const from = i % 2 === 0 ? a : b;
    const to = i % 2 === 0 ? b : a;
    const r = await call(`${from.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { user, slug: 'shared', at: 0 },
        { user, slug: 'shared', at: 30 },
        { user, slug: `own-${i}`, at: 0 },
        { user, slug: `own-${i}`, at: i + 1 },
      ]),
    });
    t.equal(r.status, 200, `POST for ${user} via ${from === a ? 'A' : 'B'}: ${JSON.stringify(r.body)}`);
    // At once, from the other host: no waiting, no retry.
    const got = await call(`${to.url}/users/${user}/watch-time`);
    t.same(got.body, { user, watchTime: 30 + i + 1, movies: 2 }, `${user} read from the other host right after the 200`);
  }
  for (const h of [a, b]) {
    const movie = await call(`${h.url}/movies/shared/watch-time`);
    t.same(movie.body, { slug: 'shared', watchTime: 30 * P, viewers: P }, 'movie total over every partition, each counted once');
    const top = await call(`${h.url}/movies/top?limit=3`);
    t.same(top.body.items, [
      { slug: 'shared', watchTime: 30 * P, viewers: P },
      { slug: `own-${P - 1}`, watchTime: P, viewers: 1 },
      { slug: `own-${P - 2}`, watchTime: P - 1, viewers: 1 },
    ]);
  }

  // A retry with the same Idempotency-Key sent to the other host is answered, not applied again.
  const body = JSON.stringify(users.map((user) => ({ user, slug: 'keyed', at: 0 })).concat(users.map((user) => ({ user, slug: 'keyed', at: 20 }))));
  const headers = { 'content-type': 'application/json', 'idempotency-key': 'retry-me-1' };
  const first = await call(`${a.url}/events`, { method: 'POST', headers, body });
  const retry = await call(`${b.url}/events`, { method: 'POST', headers, body });
  t.same([first.status, first.body], [200, { accepted: 2 * P }]);
  t.same([retry.status, retry.body], [200, { accepted: 2 * P }], 'the retry is answered with the first count');
  const keyed = await call(`${a.url}/movies/keyed/watch-time`);
  t.same(keyed.body, { slug: 'keyed', watchTime: 20 * P, viewers: P }, 'applied once');

  const c = await call(`${a.url}/cluster`);
  t.equal(c.status, 200);
  t.equal(c.body.mode, 'cluster');
  t.equal(c.body.partitionCount, P);
  t.same(
    c.body.hosts.map((h: { id: string }) => h.id),
    ['host-a', 'host-b'],
  );
  t.equal(c.body.partitions.length, P);
  t.ok(
    c.body.partitions.every((p: { owner: string; serving: boolean; logSeq: number }) => p.owner && p.serving && p.logSeq > 0),
    'every partition has an owner serving it and a log',
  );
  t.same(Object.values(await shares(a.url)).sort(), [P / 2, P / 2], 'two hosts share the partitions evenly');
  // The same from a terminal, straight from NATS.
  const wt = spawnSync(process.execPath, ['dist/scripts/wt.js', 'cluster', 'status'], {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: nats.natsUrl, CLUSTER: cluster, PARTITIONS: String(P) },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(wt.status, 0, `wt cluster status exits 0: ${wt.stderr}`);
  t.match(wt.stdout, new RegExp(`cluster "${cluster}": ${P} partitions, ${P} served, 2 hosts`));
  t.match(wt.stdout, /host-a\s+127\.0\.0\.1:\d+\s+\S+\s+2\s+8/);
  // Each host's /metrics: its members' partitions, adding up to every partition.
  let serving = 0;
  for (const h of [a, b]) {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    for (const m of text.matchAll(/^wt_cluster_partitions_serving\{shard="\d+"\} (\d+)$/gm)) serving += Number(m[1]);
    t.match(text, /^wt_cluster_takeovers_total\{shard="0"\} \d+$/m);
    t.match(text, /^wt_cluster_lease_renewals_total\{shard="1"\} \d+$/m);
  }
  t.equal(serving, P, 'wt_cluster_partitions_serving adds up to every partition');
  t.equal(c.body.engine.replicas, 3);
  t.equal(c.body.engine.servers.length, 3);
  t.ok(
    Object.values(c.body.engine.leaders as Record<string, string>).every((l) => /^n[123]$/.test(l)),
    'every stream has a leader',
  );
});

t.test('a host joining takes a fair share while under load, nothing lost or doubled', async (t) => {
  const cluster = `join${++clusters}`;
  const a = await host(cluster, 'host-a');
  const load = new KeyedLoad([a.url], 24, `${cluster}-w`);
  load.start();
  await sleep(3000);
  const joinStart = performance.now();
  const b = await host(cluster, 'host-b');
  load.urls = [a.url, b.url];
  const took = await until('B serves its share', async () => (await shares(a.url))['host-b'] === P / 2, 60_000);
  t.comment(
    `host-b joined: serving ${P / 2} of ${P} partitions ${Math.round(performance.now() - joinStart)} ms after its start (${Math.round(took)} ms after ready)`,
  );
  await sleep(2000);
  await load.stop();
  t.comment(load.failureSummary());
  t.ok(load.stats.acked > 100, `${load.stats.acked} requests acknowledged`);
  t.equal(load.stats.noRetryAfter, 0, 'every 503 carries Retry-After');
  t.same(await verifyLoad(load, b.url), [], 'every acknowledged request exactly once');
});

t.test('SIGTERM hands every partition over within 20 s, nothing lost or doubled', async (t) => {
  const cluster = `term${++clusters}`;
  const a = await host(cluster, 'host-a');
  const b = await host(cluster, 'host-b');
  const load = new KeyedLoad([b.url], 24, `${cluster}-w`);
  load.start();
  await sleep(3000);
  const stopStart = performance.now();
  const exit = await a.stop('SIGTERM', 30_000);
  const stopMs = performance.now() - stopStart;
  t.same(exit, { code: 0, signal: null }, 'exits cleanly');
  t.ok(stopMs < 20_000, `host-a exited ${Math.round(stopMs)} ms after SIGTERM`);
  const served = await allPartitionsWritable(b.url, P, cluster, 20_000);
  t.comment(`every partition writable through host-b ${Math.round(stopMs + served)} ms after the SIGTERM`);
  await sleep(2000);
  await load.stop();
  t.comment(load.failureSummary());
  t.same(await shares(b.url), { 'host-b': P });
  t.same(await verifyLoad(load, b.url), [], 'every acknowledged request exactly once');
  t.match(a.output, /handed over at snapshot/, 'partitions were handed over with a snapshot');
});

t.test('kill -9 of a host with its DATA_DIR deleted: served again within 15 s, every acknowledged event once', async (t) => {
  const cluster = `kill${++clusters}`;
  const a = await host(cluster, 'host-a');
  const b = await host(cluster, 'host-b');
  const load = new KeyedLoad([a.url, b.url], 24, `${cluster}-w`);
  load.start();
  await sleep(4000);
  load.urls = [b.url];
  const killedAt = await crashHost(a);
  a.removeData();
  await allPartitionsWritable(b.url, P, cluster, 40_000);
  const servedMs = performance.now() - killedAt;
  t.ok(servedMs < 15_000, `every partition writable through host-b ${Math.round(servedMs)} ms after the kill (limit 15 s)`);
  await sleep(2000);
  await load.stop();
  t.comment(load.failureSummary());
  t.same(await verifyLoad(load, b.url), [], 'every acknowledged request exactly once');

  // The crashed host comes back on an empty DATA_DIR and takes its share again.
  const again = await host(cluster, 'host-a', {});
  await until('A back to its share', async () => (await shares(b.url))['host-a'] === P / 2, 60_000);
  t.same(await verifyLoad(load, again.url), [], 'still exact after moving back');
});

t.test('npm start refuses another PARTITIONS for an existing cluster: one line, non-zero exit', async (t) => {
  const cluster = `mismatch${++clusters}`;
  const a = await host(cluster, 'host-a');
  t.ok(a);
  const r = spawnSync(process.execPath, ['dist/src/preflight.js'], {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: nats.natsUrl, CLUSTER: cluster, PARTITIONS: String(P * 2), NODE_ID: 'host-x', DATA_DIR: a.dataDir + '-x' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(r.status, 78, 'exit status EX_CONFIG');
  t.equal(r.stderr.trim(), `cannot start: PARTITIONS is ${P * 2} but cluster "${cluster}" was created with PARTITIONS=${P}; start with PARTITIONS=${P}`);
});
