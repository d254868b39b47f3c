import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { ROOT } from '../helpers/service.js';
import { parseOptions } from '../../scripts/simulator/options.js';

/**
 * No Docker daemon exists on the development machines, so `docker compose up` is not run here:
 * this checks the structure of docker-compose.yml and the Dockerfile instead.
 */
interface ComposeService {
  build?: unknown;
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  stop_grace_period?: string;
  restart?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const service = compose.services.service!;
const simulator = compose.services.simulator!;

t.test('two services: the watch-time service and the simulator, from the root Dockerfile', async (t) => {
  t.same(Object.keys(compose.services).sort(), ['service', 'simulator']);
  t.equal(service.build, '.');
  t.equal(simulator.image, service.image, 'the simulator runs from the same image');
});

t.test('the service listens on 8000, published as 8000', async (t) => {
  t.same(service.ports, ['8000:8000']);
  t.equal(service.environment?.PORT, '8000');
  t.equal(service.environment?.HOST, '0.0.0.0', 'reachable from the other container and the host');
});

t.test('DATA_DIR is on a named volume', async (t) => {
  const dataDir = service.environment?.DATA_DIR;
  t.ok(dataDir?.startsWith('/'), 'an absolute DATA_DIR');
  const mount = (service.volumes ?? []).find((v) => v.split(':')[1] === dataDir);
  t.ok(mount, `a volume is mounted at ${dataDir}`);
  const name = mount!.split(':')[0]!;
  t.notMatch(name, /^[./~]/, 'a named volume, not a bind mount');
  t.ok(compose.volumes && name in compose.volumes, `volume ${name} is declared at the top level`);
});

t.test('healthcheck: GET /readyz must answer 200', async (t) => {
  const test = service.healthcheck?.test;
  t.ok(Array.isArray(test) && test[0] === 'CMD', 'exec form, no shell needed');
  const cmd = (test as string[]).join(' ');
  t.match(cmd, /http:\/\/127\.0\.0\.1:8000\/readyz/);
  t.match(cmd, /status === 200 \? 0 : 1/);
  t.ok((service.healthcheck?.retries ?? 0) >= 10, 'enough retries for recovery of a large DATA_DIR');
});

t.test('graceful stop gets the 20 s the contract allows', async (t) => {
  t.ok(parseInt(service.stop_grace_period ?? '10s', 10) >= 20);
});

t.test('the simulator starts once the service is healthy, sends to it and verifies', async (t) => {
  t.same(simulator.depends_on, { service: { condition: 'service_healthy' } });
  const cmd = simulator.command!;
  t.same(cmd.slice(0, 2), ['node', 'dist/scripts/simulate.js']);
  t.ok(existsSync(join(ROOT, cmd[1]!)), `${cmd[1]} is what the build produces`);
  const opts = parseOptions(cmd.slice(2), simulator.environment ?? {});
  t.equal(opts.url, 'http://service:8000', 'the service by its compose name');
  t.equal(opts.verify, true);
  t.equal(opts.events, 200_000);
  t.equal(opts.behaviour.maxStep, Number(service.environment?.WATCH_MAX_STEP ?? 60), 'the oracle uses the service WATCH_MAX_STEP');
  t.equal(simulator.restart, 'no', 'runs once');
  for (const token of ['INGEST_TOKEN', 'QUERY_TOKEN']) {
    t.equal(simulator.environment?.[token], service.environment?.[token], `the simulator gets the service's ${token}`);
  }
});

t.test('Dockerfile: node:20-bookworm-slim, npm ci, build, DATA_DIR volume, /readyz healthcheck, pm2-runtime', async (t) => {
  const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  t.equal(lines[0], 'FROM node:20-bookworm-slim');
  t.match(dockerfile, /^RUN npm ci\b/m);
  t.match(dockerfile, /^RUN npm run build\b/m);
  t.ok(dockerfile.indexOf('npm ci') < dockerfile.indexOf('COPY . .'), 'dependencies are installed before the source is copied (layer cache)');
  t.match(dockerfile, /DATA_DIR=\/data/);
  t.match(dockerfile, /^VOLUME \/data$/m);
  t.match(dockerfile, /^EXPOSE 8000$/m);
  t.match(dockerfile, /^HEALTHCHECK [^]*\/readyz/m);
  t.match(dockerfile, /^CMD \[.*exec node_modules\/\.bin\/pm2-runtime ecosystem\.config\.js/m);
  for (const f of ['dist/src/preflight.js', 'ecosystem.config.js', 'node_modules/.bin/pm2-runtime']) t.ok(existsSync(join(ROOT, f)), `${f} exists`);
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['node_modules', 'dist', 'data', '.git']) t.ok(ignore.includes(p), `.dockerignore has ${p}`);
});
