import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadClusterConfig } from '../../src/cluster/config.js';
import { parseOptions } from '../../scripts/simulator/options.js';
import { ROOT } from '../helpers/service.js';

/**
 * No Docker daemon exists on the development machines: this checks the structure of
 * docker-compose.cluster.yml (3 NATS servers with JetStream, two hosts, the simulator over both).
 */
interface ComposeService {
  build?: unknown;
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] | string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  stop_grace_period?: string;
}

// Merge keys (<<) as docker compose resolves them.
const compose = parse(readFileSync(join(ROOT, 'docker-compose.cluster.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const s = compose.services;
const natsNames = ['nats-1', 'nats-2', 'nats-3'];
const hostNames = ['host-a', 'host-b'];

t.test('three NATS servers, two hosts, the simulator', async (t) => {
  t.same(Object.keys(s).sort(), [...hostNames, ...natsNames, 'simulator'].sort());
});

t.test('NATS: 2.10 or later, JetStream on a named volume, a cluster routed to the two others, healthchecked', async (t) => {
  for (const name of natsNames) {
    const n = s[name]!;
    const m = /^nats:(\d+)\.(\d+)/.exec(n.image ?? '');
    t.ok(m && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 10)), `${name} runs ${n.image}`);
    const cmd = n.command ?? [];
    t.ok(cmd.includes('--js'), `${name} has JetStream`);
    const store = cmd[cmd.indexOf('--sd') + 1];
    t.ok(
      (n.volumes ?? []).some((v) => v.split(':')[1] === store && compose.volumes && v.split(':')[0]! in compose.volumes),
      `${name} stores on a named volume`,
    );
    const routes = (cmd[cmd.indexOf('--routes') + 1] ?? '').split(',');
    t.same(
      routes.sort(),
      natsNames.filter((o) => o !== name).map((o) => `nats://${o}:6222`),
      `${name} routes to the others`,
    );
    t.ok(n.healthcheck, `${name} has a healthcheck`);
  }
});

t.test('hosts: the service image in cluster mode, one cluster, own NODE_ID, port and cache volume, /readyz healthcheck', async (t) => {
  const configs = hostNames.map((name) => {
    const h = s[name]!;
    t.equal(h.build, '.', `${name} is built from the root Dockerfile`);
    t.equal(h.image, s.simulator!.image, 'the simulator runs from the same image');
    for (const n of natsNames) t.same(h.depends_on?.[n], { condition: 'service_healthy' }, `${name} waits for ${n}`);
    const env = h.environment ?? {};
    t.equal(env.HOST, '0.0.0.0');
    const config = loadClusterConfig(env, 'container');
    t.ok(config, `${name} runs in cluster mode`);
    t.same(
      config!.natsUrls.sort(),
      natsNames.map((n) => `nats://${n}:4222`),
      `${name} knows every NATS server`,
    );
    t.ok(config!.replicas <= natsNames.length, 'REPLICAS at most the number of servers');
    t.ok(
      (h.volumes ?? []).some((v) => v.split(':')[1] === env.DATA_DIR),
      `${name} DATA_DIR on a volume`,
    );
    t.match((h.healthcheck?.test as string[]).join(' '), /127\.0\.0\.1:8000\/readyz/);
    t.ok(parseInt(h.stop_grace_period ?? '10s', 10) >= 20, 'the 20 s of a graceful hand-over');
    return { config: config!, port: h.ports?.[0]?.split(':')[0], volume: h.volumes?.[0]?.split(':')[0] };
  });
  t.not(configs[0]!.config.nodeId, configs[1]!.config.nodeId, 'distinct NODE_IDs');
  t.not(configs[0]!.port, configs[1]!.port, 'distinct published ports');
  t.not(configs[0]!.volume, configs[1]!.volume, 'distinct cache volumes');
  t.same({ ...configs[0]!.config, nodeId: '' }, { ...configs[1]!.config, nodeId: '' }, 'the same CLUSTER, PARTITIONS and REPLICAS');
});

t.test('the simulator starts once both hosts are healthy, spreads its requests over them and verifies', async (t) => {
  const sim = s.simulator!;
  t.same(sim.depends_on, { 'host-a': { condition: 'service_healthy' }, 'host-b': { condition: 'service_healthy' } });
  const cmd = sim.command!;
  t.same(cmd.slice(0, 2), ['node', 'dist/scripts/simulate.js']);
  const opts = parseOptions(cmd.slice(2), sim.environment ?? {});
  t.same(opts.url.split(','), ['http://host-a:8000', 'http://host-b:8000']);
  t.equal(opts.verify, true);
  t.equal(opts.behaviour.maxStep, Number(s['host-a']!.environment?.WATCH_MAX_STEP ?? 60));
});
