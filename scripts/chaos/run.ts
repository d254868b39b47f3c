import { Rng } from '../simulator/random.js';
import { Cluster } from './cluster.js';
import { injectFaults, type FaultKind, type FaultStats } from './faults.js';
import { Client } from './http.js';
import { Load, sleep, type LoadStats } from './load.js';
import { Oracle } from './oracle.js';
import { closingLines, loadProblems, requestsLine, verificationLine } from './verdict.js';
import { verify, type Verification } from './verify.js';

/** What a chaos run needs whatever it runs against: one service or a cluster of hosts. */
export interface ChaosBaseOptions {
  durationS: number;
  seed: number;
  /** Shard processes (per host in a cluster: its members). */
  shards: number;
  viewers: number;
  movies: number;
  ackTimeoutMs: number;
  maxStep: number;
  /** Pause between faults, seconds. */
  gapS: [number, number];
  /** How long viewers may keep retrying their last request after the run (ms). */
  graceMs: number;
  /** Progress lines (faults as they happen). */
  log: (line: string) => void;
  /** Stops the run early (Ctrl-C). */
  aborted: () => boolean;
}

export interface ChaosOptions extends ChaosBaseOptions {
  weights: { shard: number; front: number; whole: number };
  /** A fixed sequence of faults instead of random ones (tests). */
  plan?: FaultKind[];
  keepData: boolean;
}

export const DEFAULTS: Omit<ChaosOptions, 'log' | 'aborted'> = {
  durationS: 60,
  seed: 1,
  shards: 2,
  viewers: 32,
  movies: 24,
  ackTimeoutMs: 1000,
  maxStep: 60,
  gapS: [2, 6],
  weights: { shard: 6, front: 2, whole: 1 },
  graceMs: 90_000,
  keepData: false,
};

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log' | 'aborted'>;
  elapsedS: number;
  dataDir: string;
  faults: FaultStats;
  pm2Restarts: number;
  serviceRestarts: number;
  orphans: number;
  load: LoadStats;
  live: Verification;
  /** The same check after a final SIGKILL of the whole service and a restart on the same data. */
  afterRestart: Verification;
  /** Empty when the run passed. */
  problems: string[];
  /** The tail of the service's output when something failed. */
  outputTail: string;
}

/**
 * One chaos run: start the service under pm2-runtime, drive the viewer load while killing and
 * freezing its processes, then verify every acknowledged request exactly, live and again after a
 * final kill -9 of everything and a restart.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const { log: _log, aborted: _aborted, ...options } = o;
  const started = Date.now();
  const cluster = await Cluster.start(o.shards, {
    ACK_TIMEOUT_MS: String(o.ackTimeoutMs),
    WATCH_MAX_STEP: String(o.maxStep),
    // Snapshots and log pruning happen during the run, so recoveries use snapshot + log.
    SNAPSHOT_EVERY_EVENTS: '3000',
    SNAPSHOT_EVERY_MS: '5000',
  });
  const client = new Client(cluster.port, o.viewers + 8, o.ackTimeoutMs + 10_000);
  try {
    const oracle = new Oracle(o.maxStep);
    const load = new Load(client, oracle, {
      viewers: o.viewers,
      movies: o.movies,
      shards: o.shards,
      maxStep: o.maxStep,
      seed: o.seed,
      runId: `chaos-${o.seed}-${started}`,
    });
    const running = load.run();
    const t0 = Date.now();
    const end = t0 + o.durationS * 1000;
    const faultRun = injectFaults(
      cluster,
      new Rng(o.seed, 1_000_000),
      {
        until: end - 1000,
        gapMs: [o.gapS[0] * 1000, o.gapS[1] * 1000],
        weights: o.weights,
        ...(o.plan ? { plan: o.plan } : {}),
        freezeAt: t0 + o.durationS * 400,
        freezeMs: Math.max(2500, o.ackTimeoutMs * 3),
      },
      o.aborted,
      (line) => o.log(`fault ${line}`),
    );
    const faults = await faultRun;
    while (Date.now() < end && !o.aborted()) await sleep(100);
    load.stop(o.graceMs);
    await running;
    const pm2Restarts = await cluster.pm2Restarts();

    await cluster.svc.waitReady(60_000);
    const live = await verify(client, oracle);
    client.close();
    await cluster.killAll();
    const again = new Client(cluster.port, 16, 30_000);
    const afterRestart = await verify(again, oracle);
    again.close();

    const problems: string[] = [];
    const s = load.stats;
    problems.push(...loadProblems(live, afterRestart, s, o.graceMs));
    if (cluster.orphans > 0) problems.push(`${cluster.orphans} app processes outlived their killed pm2-runtime by 20 s: ${cluster.orphanNotes.join('; ')}`);
    const expectedRestarts = faults.shardKills + faults.frontKills;
    if (pm2Restarts > expectedRestarts) problems.push(`${pm2Restarts - expectedRestarts} pm2 restarts not caused by a kill (a crash)`);
    problems.push(...faults.failures);
    if (o.aborted()) problems.push('interrupted');
    return {
      options,
      elapsedS: (Date.now() - started) / 1000,
      dataDir: cluster.dataDir,
      faults,
      pm2Restarts,
      serviceRestarts: cluster.serviceRestarts - 1,
      orphans: cluster.orphans,
      load: s,
      live,
      afterRestart,
      problems,
      outputTail: problems.length > 0 ? cluster.output.split('\n').slice(-40).join('\n') : '',
    };
  } finally {
    client.close();
    await cluster.dispose(o.keepData);
  }
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function formatReport(r: ChaosReport): string[] {
  const o = r.options;
  const f = r.faults;
  const s = r.load;
  const lines = [
    `chaos: ${o.durationS} s, seed ${o.seed}, ${o.shards} shards, ${o.viewers} viewers, ${o.movies} movies, ACK_TIMEOUT_MS=${o.ackTimeoutMs}, WATCH_MAX_STEP=${o.maxStep}; ran ${r.elapsedS.toFixed(1)} s in total`,
    `kills: shard ${f.shardKills}, front ${f.frontKills}, whole service ${f.wholeKills} (+1 final, before the second check); SIGSTOP/SIGCONT ${f.freezes}`,
    `restarts: pm2 ${r.pm2Restarts} (kills of single apps: ${f.shardKills + f.frontKills}), whole service ${r.serviceRestarts} + 1 final; apps exited at most ${f.longestOrphanExitMs} ms after pm2-runtime was killed, orphans ${r.orphans}`,
    requestsLine(s),
    `longest unavailability (first failure -> next success): ${s.longestOutageMs.map((ms, k) => `shard ${k} ${secs(ms)}`).join(', ')}`,
    verificationLine('verify live', r.live),
    verificationLine('verify after kill -9 + restart', r.afterRestart),
    ...closingLines(r),
  ];
  return lines;
}
