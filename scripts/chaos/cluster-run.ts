import { rmSync } from 'node:fs';
import { crashHost, startHost } from '../../test/helpers/cluster-hosts.js';
import { NatsCluster } from '../../test/helpers/nats-cluster.js';
import type { Service } from '../../test/helpers/service.js';
import { Rng } from '../simulator/random.js';
import { Client } from './http.js';
import { Load, sleep, type LoadStats } from './load.js';
import { Oracle } from './oracle.js';
import type { ChaosBaseOptions } from './run.js';
import { closingLines, loadProblems, requestsLine, verificationLine } from './verdict.js';
import { verify, type Verification } from './verify.js';

export type ClusterFault = 'host' | 'term' | 'member' | 'nats' | 'freeze';

export interface ClusterChaosOptions extends ChaosBaseOptions {
  partitions: number;
  /** A fixed sequence of faults instead of random ones (tests). */
  plan?: ClusterFault[];
}

export const CLUSTER_DEFAULTS: Omit<ClusterChaosOptions, 'log' | 'aborted'> = {
  durationS: 120,
  seed: 1,
  shards: 2,
  partitions: 16,
  viewers: 32,
  movies: 24,
  ackTimeoutMs: 5000,
  maxStep: 60,
  gapS: [4, 8],
  graceMs: 120_000,
};

export interface ClusterChaosReport {
  options: Omit<ClusterChaosOptions, 'log' | 'aborted'>;
  elapsedS: number;
  faults: string[];
  counts: Record<ClusterFault, number>;
  load: LoadStats;
  live: Verification;
  /** After kill -9 of every host with its DATA_DIR deleted, and a restart: everything from NATS. */
  afterRestart: Verification;
  problems: string[];
}

const FAULTS: ClusterFault[] = ['host', 'term', 'member', 'nats'];

/**
 * `npm run chaos -- --cluster`: a 3-server NATS cluster and two hosts (the real `npm start`
 * path), the chaos viewer load spread over both hosts with its exact oracle, and faults one at a
 * time: kill -9 of a whole host with its DATA_DIR deleted (then a fresh start), SIGTERM of a host
 * (then a start), kill -9 of one member process (pm2 restarts it), kill -9 and restart of a NATS
 * server, and one member SIGSTOPped past its lease. Then every acknowledged event must be counted
 * exactly once, live and again after every host is killed, its DATA_DIR deleted, and restarted.
 */
export async function runClusterChaos(o: ClusterChaosOptions): Promise<ClusterChaosReport> {
  const { log: _log, aborted: _aborted, ...options } = o;
  const started = Date.now();
  const nats = await NatsCluster.start();
  const cluster = `chaos${o.seed}x${started % 100000}`;
  const env = {
    ACK_TIMEOUT_MS: String(o.ackTimeoutMs),
    WATCH_MAX_STEP: String(o.maxStep),
    SNAPSHOT_EVERY_EVENTS: '3000',
    SNAPSHOT_EVERY_MS: '5000',
  };
  const ids = ['host-a', 'host-b'];
  const hosts: Service[] = [];
  const start = async (i: number, port?: number): Promise<Service> =>
    (hosts[i] = await startHost(nats, ids[i]!, { cluster, partitions: o.partitions, shards: o.shards, env, ...(port ? { port } : {}) }));
  try {
    for (let i = 0; i < ids.length; i++) await start(i);
    const ports = hosts.map((h) => h.port);
    const client = new Client(ports, o.viewers + 8, o.ackTimeoutMs + 10_000);
    const oracle = new Oracle(o.maxStep);
    const load = new Load(client, oracle, {
      viewers: o.viewers,
      movies: o.movies,
      shards: o.partitions,
      maxStep: o.maxStep,
      seed: o.seed,
      runId: `${cluster}`,
    });
    const running = load.run();
    const t0 = Date.now();
    const end = t0 + o.durationS * 1000;
    const rng = new Rng(o.seed, 2_000_000);
    const faults: string[] = [];
    const problems: string[] = [];
    const counts: Record<ClusterFault, number> = { host: 0, term: 0, member: 0, nats: 0, freeze: 0 };
    const note = (line: string): void => {
      const l = `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${line}`;
      faults.push(l);
      o.log(`fault ${l}`);
    };
    const plan = o.plan ? [...o.plan] : null;
    let frozen = false;
    // A plan runs to its end even past the duration (a slow machine must not skip faults); random faults stop 5 s before it.
    const more = (): boolean => !o.aborted() && (plan ? plan.length > 0 : Date.now() < end - 5000);
    while (more()) {
      await sleep(o.gapS[0] * 1000 + rng.next() * (o.gapS[1] - o.gapS[0]) * 1000);
      if (!more()) break;
      const kind: ClusterFault = plan ? plan.shift()! : !frozen && Date.now() > t0 + o.durationS * 400 ? 'freeze' : FAULTS[rng.int(FAULTS.length)]!;
      const h = rng.int(hosts.length);
      const host = hosts[h]!;
      try {
        if (kind === 'host') {
          note(`kill -9 of every process of ${ids[h]}, DATA_DIR deleted`);
          await crashHost(host);
          rmSync(host.dataDir, { recursive: true, force: true });
          rmSync(host.pm2Home, { recursive: true, force: true });
          await start(h, host.port);
          note(`${ids[h]} started again on an empty DATA_DIR, ready`);
        } else if (kind === 'term') {
          const t = Date.now();
          const exit = await host.stop('SIGTERM', 30_000);
          const ms = Date.now() - t;
          note(`SIGTERM ${ids[h]}: exited ${JSON.stringify(exit)} after ${ms} ms`);
          if (ms > 20_000) problems.push(`${ids[h]} took ${ms} ms to stop after SIGTERM (limit 20 s)`);
          rmSync(host.pm2Home, { recursive: true, force: true });
          await start(h, host.port);
          note(`${ids[h]} started again, ready`);
        } else if (kind === 'member') {
          const pids = await host.pids('wt-shard');
          const k = rng.int(pids.length);
          process.kill(pids[k]!, 'SIGKILL');
          note(`SIGKILL member ${ids[h]}-${k} (pid ${pids[k]}); pm2 restarts it`);
        } else if (kind === 'nats') {
          const i = rng.int(nats.size);
          await nats.kill(i);
          note(`kill -9 NATS server ${nats.name(i)}`);
          await sleep(4000 + rng.int(4000));
          await nats.restart(i, 120_000);
          note(`NATS server ${nats.name(i)} restarted, current`);
        } else {
          frozen = true;
          const pids = await host.pids('wt-shard');
          const k = rng.int(pids.length);
          process.kill(pids[k]!, 'SIGSTOP');
          note(`SIGSTOP member ${ids[h]}-${k} for 14 s (past its lease)`);
          await sleep(14_000);
          process.kill(pids[k]!, 'SIGCONT');
          note(`SIGCONT member ${ids[h]}-${k}`);
        }
        counts[kind]++;
      } catch (err) {
        const line = `fault ${kind} failed: ${(err as Error).message.split('\n')[0]}`;
        note(line);
        problems.push(line);
      }
    }
    while (Date.now() < end && !o.aborted()) await sleep(100);
    load.stop(o.graceMs);
    await running;

    for (const h of hosts) await h.waitReady(60_000);
    const live = await verify(client, oracle);
    // Every host gone at once, disks included: the cluster's state is all in NATS.
    for (let i = 0; i < hosts.length; i++) {
      await crashHost(hosts[i]!);
      rmSync(hosts[i]!.dataDir, { recursive: true, force: true });
      rmSync(hosts[i]!.pm2Home, { recursive: true, force: true });
    }
    for (let i = 0; i < hosts.length; i++) await start(i, ports[i]);
    const again = new Client(ports, 16, 30_000);
    const afterRestart = await verify(again, oracle);
    again.close();
    client.close();

    const s = load.stats;
    problems.push(...loadProblems(live, afterRestart, s, o.graceMs));
    if (o.aborted()) problems.push('interrupted');
    return { options, elapsedS: (Date.now() - started) / 1000, faults, counts, load: s, live, afterRestart, problems };
  } finally {
    for (const h of hosts) await h.dispose().catch(() => {});
    for (const h of hosts) rmSync(h.dataDir, { recursive: true, force: true });
    await nats.dispose();
  }
}

export function formatClusterReport(r: ClusterChaosReport): string[] {
  const o = r.options;
  const s = r.load;
  const c = r.counts;
  const lines = [
    `chaos --cluster: ${o.durationS} s, seed ${o.seed}, 3 NATS servers, 2 hosts x ${o.shards} members, ${o.partitions} partitions, ${o.viewers} viewers, ACK_TIMEOUT_MS=${o.ackTimeoutMs}; ran ${r.elapsedS.toFixed(1)} s in total`,
    `faults: host kill -9 + DATA_DIR deleted ${c.host}, host SIGTERM ${c.term}, member kill -9 ${c.member}, NATS server kill -9 + restart ${c.nats}, member SIGSTOP past its lease ${c.freeze} (+ every host killed with its DATA_DIR before the second check)`,
    requestsLine(s),
    `longest unavailability of one partition (first failure -> next success): ${(Math.max(0, ...s.longestOutageMs) / 1000).toFixed(2)} s`,
    verificationLine('verify live', r.live),
    verificationLine('verify after every host killed with its DATA_DIR + restart', r.afterRestart),
    ...closingLines(r),
  ];
  return lines;
}
