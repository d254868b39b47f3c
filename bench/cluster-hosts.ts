/**
 * Cluster mode through the service: a real 3-server NATS cluster (R3) and two hosts (the real
 * `npm start` path), wrk against both hosts at once, 100-event batches then single events, every
 * 200 acknowledged after the R3 quorum; then kill -9 of one host and the time until every partition
 * is writable again through the other. Also the time a joining host takes to serve its share, and
 * user/pair/movie/top-10/retention/continue-watching GET latency through host-a under the
 * single-event load. Prints one JSON line per measurement.
 *
 *   node dist/bench/cluster-hosts.js [--seconds 10] [--connections 64] [--partitions DEFAULT_PARTITIONS]
 *
 * `npm run bench` runs it as its cluster section (one process per run) and reads the JSON lines.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { allPartitionsWritable, crashHost, startHost } from '../test/helpers/cluster-hosts.js';
import { NatsCluster } from '../test/helpers/nats-cluster.js';
import { ROOT, type Service } from '../test/helpers/service.js';
import { DEFAULT_PARTITIONS } from '../src/cluster/config.js';
import { eventJson, load, pairNames } from './load.js';
import { runQueryClient } from './query-client.js';
import { findWrk, runWrk, type WrkResult } from './wrk.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, connections: { type: 'string' }, partitions: { type: 'string' } } });
const seconds = Number(values.seconds ?? 10);
const connections = Number(values.connections ?? 64);
const partitions = Number(values.partitions ?? DEFAULT_PARTITIONS);
const wrk = findWrk();
/** Preloaded through host-a before the loads: 3,000 users × 10 movies of 1,000. */
const QUERIED = { users: 3000, perUser: 10, movies: 1000 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
if (!wrk) throw new Error('wrk is not installed');

const nats = await NatsCluster.start();
const hosts: Service[] = [];
try {
  hosts.push(await startHost(nats, 'host-a', { cluster: 'bench', partitions }));
  // A host joining: from starting host-b until it serves its half (the hand-over included).
  const joinStart = performance.now();
  hosts.push(await startHost(nats, 'host-b', { cluster: 'bench', partitions }));
  let joinMs = NaN;
  for (let i = 0; i < 480; i++) {
    const c = (await (await fetch(`${hosts[0]!.url}/cluster`)).json()) as { partitions: { host: string | null; serving: boolean }[] };
    const b = c.partitions.filter((p) => p.serving && p.host === 'host-b').length;
    if (b === Math.floor(partitions / 2) && c.partitions.every((p) => p.serving)) {
      joinMs = performance.now() - joinStart;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(JSON.stringify({ joinMs: Math.round(joinMs) }));
  // The dataset the query client asks about (its users, pairs and movies exist).
  await load(hosts[0]!.port, QUERIED.users * QUERIED.perUser, (i) => eventJson(...pairNames(i, QUERIED.perUser, QUERIED.movies), 0), 1000, 8);
  // CPU of every process of the cluster over each run.
  const watch: Record<string, number> = {};
  for (const [i, h] of hosts.entries()) {
    const tag = i === 0 ? 'a' : 'b';
    watch[`front-${tag}`] = (await h.pids('wt-front'))[0]!;
    for (const [k, pid] of (await h.pids('wt-shard')).entries()) watch[`member-${tag}${k}`] = pid;
  }
  for (let i = 0; i < nats.size; i++) watch[nats.name(i)] = nats.pid(i)!;
  const script = join(ROOT, 'bench/ingest.lua');
  for (const [mode, batch] of [
    ['batch', 100],
    ['single', 1],
  ] as const) {
    // Under the single-event load, a query client times GETs through host-a (one at a time per kind).
    const queries =
      mode === 'single'
        ? sleep(1000).then(() => runQueryClient({ port: hosts[0]!.port, seconds: Math.max(1, seconds - 2), ratePerKind: 50, ...QUERIED }))
        : Promise.resolve(null);
    const results: WrkResult[] = await Promise.all(
      hosts.map((h, i) =>
        runWrk({
          wrk,
          url: `${h.url}/events`,
          script,
          seconds,
          connections: connections / 2,
          args: [mode, batch, 100_000, 1000, 4096, i + 1, 0],
          watch: i === 0 ? watch : {},
        }),
      ),
    );
    const rps = results.reduce((a, r) => a + r.rps, 0);
    const ok = results.reduce((a, r) => a + r.ok, 0);
    const dur = Math.max(...results.map((r) => r.durationS));
    console.log(
      JSON.stringify({
        mode,
        batch,
        connections,
        requestsPerS: Math.round(rps),
        eventsPerS: Math.round((ok / dur) * batch),
        non2xx: results.reduce((a, r) => a + r.errors.status, 0),
        p50ms: Math.max(...results.map((r) => r.latencyUs.p50)) / 1000,
        p99ms: Math.max(...results.map((r) => r.latencyUs.p99)) / 1000,
        machineCores: results[0]!.machineCores,
        cores: Object.fromEntries(Object.entries(results[0]!.procCores).map(([k, v]) => [k, Math.round(v * 100) / 100])),
      }),
    );
    const q = await queries;
    if (q) console.log(JSON.stringify({ queries: q }));
  }
  const killedAt = await crashHost(hosts[0]!);
  await allPartitionsWritable(hosts[1]!.url, partitions, 'bench', 60_000);
  console.log(JSON.stringify({ killToServedMs: Math.round(performance.now() - killedAt), partitions }));
} catch (err) {
  // What the hosts printed (pm2-runtime and their processes' logs) says why, not just that.
  for (const h of hosts) console.error(`--- ${h.url}: last output\n${h.output.slice(-4000)}`);
  throw err;
} finally {
  for (const h of hosts) await h.dispose().catch(() => {});
  await nats.dispose();
}
