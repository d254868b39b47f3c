import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { Engine, type EngineConfig } from '../../src/cluster/engine.js';
import { EngineError } from '../../src/cluster/errors.js';
import { logStreamName } from '../../src/cluster/names.js';
import { NatsCluster } from '../helpers/nats-cluster.js';

// One real 3-server cluster for the whole file; each test uses its own CLUSTER name.
const nats = await NatsCluster.start();
t.teardown(() => nats.dispose());
let n = 0;
const config = (over: Partial<EngineConfig> = {}): EngineConfig => ({
  natsUrls: nats.urls,
  cluster: `eng${++n}`,
  nodeId: 'host-a',
  partitions: 16,
  replicas: 3,
  ...over,
});

t.test('first connect creates the streams and buckets, R3, leaders spread; a second connect verifies them', async (t) => {
  const cfg = config();
  const engine = await Engine.connect(cfg);
  t.teardown(() => engine.close());
  t.equal(engine.names.streams, 6);
  const leaders = await engine.leaders();
  t.equal(leaders.size, 6);
  for (const [stream, leader] of leaders) t.match(leader, /^n[123]$/, `${stream} has a leader`);
  const perServer = new Map<string, number>();
  for (const l of leaders.values()) perServer.set(l, (perServer.get(l) ?? 0) + 1);
  t.ok(perServer.size >= 2, `stream leaders on ${perServer.size} servers: ${JSON.stringify([...perServer])}`);
  const info = await engine.jsm.streams.info(logStreamName(engine.names, 0));
  t.equal(info.config.num_replicas, 3);
  t.same(info.config.subjects, [`${cfg.cluster}.log.0.*`]);
  t.equal(info.config.storage, 'file');
  for (const bucket of ['meta', 'leases', 'members']) {
    const kv = await engine.jsm.streams.info(`KV_${cfg.cluster}-${bucket}`);
    t.equal(kv.config.num_replicas, 3, `${bucket} bucket is R3`);
  }
  t.equal((await engine.jsm.streams.info(`OBJ_${cfg.cluster}-snapshots`)).config.num_replicas, 3);
  t.equal((await engine.jsm.streams.info(`KV_${cfg.cluster}-leases`)).config.max_age, engine.timings.leaseTtlMs * 1e6, 'lease TTL is the bucket max_age');

  // Another host of the same cluster: same layout, same streams, nothing recreated.
  const first = info.created;
  const again = await Engine.connect({ ...cfg, nodeId: 'host-b' });
  t.teardown(() => again.close());
  t.equal((await again.jsm.streams.info(logStreamName(again.names, 0))).created, first, 'the stream was not recreated');
});

t.test('PARTITIONS is recorded on first creation; another value is refused with one line naming both', async (t) => {
  const cfg = config({ partitions: 32 });
  const engine = await Engine.connect(cfg);
  await engine.close();
  const err = await Engine.connect({ ...cfg, partitions: 64 }).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, EngineError);
  t.match((err as Error).message, /^PARTITIONS is 64 but cluster "eng\d+" was created with PARTITIONS=32/);
  t.notMatch((err as Error).message, /\n/);
  // The refused host created nothing: still the 6 log streams of PARTITIONS=32 (64 would make the same 6, so check a name 32 never makes).
  const nc = await connect({ servers: nats.urls });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const names: string[] = [];
  for await (const s of jsm.streams.names()) if (s.startsWith(`${cfg.cluster}-log-`)) names.push(s);
  t.equal(names.length, 6);
});

t.test('a stream with another configuration is refused, naming the field; REPLICAS mismatch names REPLICAS', async (t) => {
  const cfg = config();
  const nc = await connect({ servers: nats.urls });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  // Someone made log stream 2 as R1 with another subject layout: never delete it, refuse.
  await jsm.streams.add({ name: `${cfg.cluster}-log-2`, subjects: [`${cfg.cluster}.log.2.*`], num_replicas: 1 });
  const err = await Engine.connect(cfg).then(
    () => null,
    (e: unknown) => e,
  );
  t.match((err as Error).message, new RegExp(`^log stream 2 \\(stream ${cfg.cluster}-log-2\\) has another configuration: num_replicas is 1, wanted 3`));
  t.match((err as Error).message, /REPLICAS/);
  t.equal((await jsm.streams.info(`${cfg.cluster}-log-2`)).config.num_replicas, 1, 'the existing stream is left as it was');

  const ok = config();
  const engine = await Engine.connect(ok);
  await engine.close();
  const err2 = await Engine.connect({ ...ok, replicas: 1 }).then(
    () => null,
    (e: unknown) => e,
  );
  t.match((err2 as Error).message, /num_replicas is 3, wanted 1 \(REPLICAS differs/);
});

t.test('a connect to nothing fails with one line naming NATS_URL', async (t) => {
  const err = await Engine.connect(config({ natsUrls: ['nats://127.0.0.1:1'] })).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, EngineError);
  t.match((err as Error).message, /^cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 \(NATS_URL\)/);
});

t.test('the connected server version passes the check', async (t) => {
  const engine = await Engine.connect(config());
  t.teardown(() => engine.close());
  t.match(engine.nc.info?.version, /^2\.(1\d|[2-9]\d)\./);
});
