import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsCluster, natsServerBinary } from '../helpers/nats-cluster.js';
import { isAlive, sleep } from '../helpers/service.js';

// The harness the cluster tests stand on: three real servers form one JetStream cluster, a server
// can be killed and restarted on its store, and nothing is left behind.
t.test('three servers form a JetStream cluster with a meta leader; kill -9 and restart', async (t) => {
  const cluster = await NatsCluster.start();
  t.teardown(() => cluster.dispose());
  t.ok(Number(cluster.version.split('.')[1]) >= 10 || Number(cluster.version.split('.')[0]) > 2, `server ${cluster.version} >= 2.10`);
  t.equal(cluster.urls.length, 3);

  const leader = await cluster.metaLeader();
  t.match(leader, /^n[123]$/, 'a meta leader is elected');
  const jsz = (await cluster.monitor(0, 'jsz')) as { meta_cluster: { cluster_size: number } };
  t.equal(jsz.meta_cluster.cluster_size, 3, 'the meta group has three peers');

  const nc = await connect({ servers: cluster.urls });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const info = await jsm.getAccountInfo();
  t.ok(info.limits, 'JetStream answers through the client');
  t.match(nc.info?.version, /^2\.1\d/);

  // kill -9 of the meta leader: the other two elect a new one; the killed one rejoins on its store.
  const victim = cluster.indexOf(leader);
  const pid = cluster.pid(victim)!;
  await cluster.kill(victim);
  t.notOk(isAlive(pid), 'the killed server is gone');
  const other = (victim + 1) % 3;
  let next = '';
  for (let i = 0; i < 200 && (next === '' || next === leader); i++) {
    await sleep(100);
    next = await cluster.metaLeader(other);
  }
  t.match(next, /^n[123]$/, 'a new meta leader after the kill');
  t.not(next, leader);
  await cluster.restart(victim);
  t.ok(cluster.isRunning(victim));
  let rejoined = '';
  for (let i = 0; i < 100 && rejoined === ''; i++) {
    rejoined = await cluster.metaLeader(victim);
    if (rejoined === '') await sleep(100);
  }
  t.equal(rejoined, next, 'the restarted server follows the new leader');

  await cluster.dispose();
  t.notOk(existsSync(cluster.dir), 'the temp dir is removed');
  for (let i = 0; i < 3; i++) t.notOk(cluster.isRunning(i));
});

t.test('a nats-server older than 2.10 is refused with a message saying what to do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-old-nats-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const old = join(dir, 'nats-server');
  writeFileSync(old, '#!/bin/sh\necho "nats-server: v2.9.10"\n', { mode: 0o755 });
  const saved = process.env.NATS_SERVER;
  process.env.NATS_SERVER = old;
  t.teardown(() => {
    if (saved === undefined) delete process.env.NATS_SERVER;
    else process.env.NATS_SERVER = saved;
  });
  t.throws(() => natsServerBinary(), {
    message: new RegExp(`^the cluster tests need nats-server 2\\.10 or later \\(${old} is 2\\.9\\.10\\): run scripts/install-nats-server\\.sh`),
  });
  await t.rejects(NatsCluster.start(), /need nats-server 2\.10 or later/, 'no cluster is started on it');
  process.env.NATS_SERVER = join(dir, 'missing');
  t.throws(() => natsServerBinary(), /missing does not run/);
});
