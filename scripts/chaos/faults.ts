import type { Rng } from '../simulator/random.js';
import type { Cluster } from './cluster.js';
import { sleep } from './load.js';

export type FaultKind = 'shard' | 'front' | 'whole' | 'freeze';

export interface FaultOptions {
  /** Faults in this order (then none), instead of random kinds and the freeze at `freezeAt`; all of them, even past `until` (a slow machine must not skip some). */
  plan?: FaultKind[];
  /** Without a plan, no new fault starts after this time (ms since epoch). */
  until: number;
  /** Pause between faults: uniform in this range (ms). */
  gapMs: [number, number];
  /** Relative weights of shard kill, front kill and whole-service kill. */
  weights: { shard: number; front: number; whole: number };
  /** The one SIGSTOP happens at this time (ms since epoch) or at the first gap after it ... */
  freezeAt: number;
  /** ... and lasts this long (longer than ACK_TIMEOUT_MS). */
  freezeMs: number;
}

export interface FaultStats {
  shardKills: number;
  frontKills: number;
  wholeKills: number;
  freezes: number;
  /** Longest time the apps took to exit after pm2-runtime was SIGKILLed (ms). */
  longestOrphanExitMs: number;
  /** One line per fault, with its time since the start. */
  log: string[];
  /** Faults that could not be carried out (e.g. pm2 did not restart an app). */
  failures: string[];
}

/** Kills and freezes processes of the cluster at random until `until`, one fault at a time. */
export async function injectFaults(cluster: Cluster, rng: Rng, o: FaultOptions, aborted: () => boolean, say: (line: string) => void): Promise<FaultStats> {
  const stats: FaultStats = { shardKills: 0, frontKills: 0, wholeKills: 0, freezes: 0, longestOrphanExitMs: 0, log: [], failures: [] };
  const note = (line: string): void => {
    stats.log.push(line);
    say(line);
  };
  const t0 = Date.now();
  const at = (): string => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s`;
  const total = o.weights.shard + o.weights.front + o.weights.whole;
  let frozen = false;
  const plan = o.plan ? [...o.plan] : null;
  const pick = (): FaultKind => {
    if (plan) return plan.shift()!;
    if (!frozen && Date.now() >= o.freezeAt) return 'freeze';
    const r = rng.next() * total;
    return r < o.weights.shard ? 'shard' : r < o.weights.shard + o.weights.front ? 'front' : 'whole';
  };
  for (;;) {
    await sleep(o.gapMs[0] + rng.next() * (o.gapMs[1] - o.gapMs[0]));
    if (aborted() || (plan ? plan.length === 0 : Date.now() >= o.until)) break;
    try {
      const kind = pick();
      if (kind === 'freeze') {
        frozen = true;
        const k = rng.int(cluster.shards);
        note(`${at()}  SIGSTOP shard ${k} for ${o.freezeMs} ms`);
        await cluster.freeze(k, o.freezeMs);
        stats.freezes++;
        note(`${at()}  SIGCONT shard ${k}`);
        continue;
      }
      if (kind === 'shard') {
        const k = rng.int(cluster.shards);
        const pid = await cluster.killApp('wt-shard', k);
        stats.shardKills++;
        note(`${at()}  SIGKILL shard ${k} (pid ${pid}); pm2 restarted it, ready again`);
      } else if (kind === 'front') {
        const pid = await cluster.killApp('wt-front', 0);
        stats.frontKills++;
        note(`${at()}  SIGKILL front (pid ${pid}); pm2 restarted it, ready again`);
      } else {
        note(`${at()}  SIGKILL pm2-runtime's process group`);
        const exitMs = await cluster.killAll();
        stats.wholeKills++;
        stats.longestOrphanExitMs = Math.max(stats.longestOrphanExitMs, exitMs);
        note(`${at()}  every app exited ${exitMs} ms after the kill; service started again on the same DATA_DIR and port, ready`);
      }
    } catch (err) {
      const line = `${at()}  fault failed: ${(err as Error).message}`;
      note(line);
      stats.failures.push(line);
    }
  }
  return stats;
}
