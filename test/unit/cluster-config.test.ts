import t from 'tap';
import { ConfigError } from '../../src/config.js';
import { defaultNodeId, loadClusterConfig } from '../../src/cluster/config.js';

t.test('no NATS_URL: embedded mode', async (t) => {
  t.equal(loadClusterConfig({}), undefined);
  t.equal(loadClusterConfig({ NATS_URL: ' ' }), undefined);
});

t.test('defaults', async (t) => {
  t.same(loadClusterConfig({ NATS_URL: 'nats://127.0.0.1:4222', PORT: '8001' }, 'box'), {
    natsUrls: ['nats://127.0.0.1:4222'],
    cluster: 'watch-time',
    nodeId: 'box-8001',
    partitions: 64,
    replicas: 3,
  });
  t.equal(defaultNodeId('web.example.org', undefined), 'web_example_org-8000');
});

t.test('every variable', async (t) => {
  const c = loadClusterConfig({ NATS_URL: 'nats://a:4222, nats://b:4223,tls://c:4224', CLUSTER: 'wt_2', NODE_ID: 'host-a', PARTITIONS: '128', REPLICAS: '1' });
  t.same(c, { natsUrls: ['nats://a:4222', 'nats://b:4223', 'tls://c:4224'], cluster: 'wt_2', nodeId: 'host-a', partitions: 128, replicas: 1 });
});

t.test('one-line errors naming the variable', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ NATS_URL: 'http://a:4222' }, /^NATS_URL must be .*"http:\/\/a:4222"/],
    [{ NATS_URL: 'nats://a:4222,' }, /^NATS_URL must be/],
    [{ NATS_URL: 'nats://a:4222/x' }, /^NATS_URL must be/],
    [{ NATS_URL: 'nats://a', CLUSTER: 'a.b' }, /^CLUSTER must be .*"a\.b"/],
    [{ NATS_URL: 'nats://a', NODE_ID: 'x y' }, /^NODE_ID must be/],
    [{ NATS_URL: 'nats://a', PARTITIONS: '0' }, /^PARTITIONS must be a whole number between 1 and 4096, got "0"/],
    [{ NATS_URL: 'nats://a', PARTITIONS: '4097' }, /^PARTITIONS must be/],
    [{ NATS_URL: 'nats://a', PARTITIONS: '1.5' }, /^PARTITIONS must be/],
    [{ NATS_URL: 'nats://a', REPLICAS: '6' }, /^REPLICAS must be a whole number between 1 and 5/],
  ];
  for (const [env, message] of cases) {
    t.throws(() => loadClusterConfig(env), message, JSON.stringify(env));
    try {
      loadClusterConfig(env);
    } catch (err) {
      t.type(err, ConfigError);
      t.notMatch((err as Error).message, /\n/, 'one line');
    }
  }
});
