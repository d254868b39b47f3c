import type { CoordinatorStats } from '../protocol/index.js';
import { assignTarget, planFor } from './assignment.js';
import type { Lease, Leases } from './leases.js';
import type { Members } from './members.js';

const LOAD_CONCURRENCY = 4;
/** Hand-overs (drain, snapshot, purge) overlap this many at a time: a SIGTERM must finish within 20 s. */
const HANDOVER_CONCURRENCY = 8;
/** How soon to look again while partitions of the target are still being handed over. */
const WAITING_POLL_MS = 250;

/**
 * Runs `fn` over every item, at most `n` at a time, starting the next as soon as one finishes (in
 * slices of n, one slow load held back every partition after it). The first failure is thrown
 * once all have run: one partition's failed release does not stop the others' hand-over.
 */
async function eachLimited<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!).catch((err: unknown) => failures.push(err));
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/**
 * What a member does with a partition; phase 2's shard process implements these. Each may take
 * seconds (a replay); the coordinator keeps renewing leases meanwhile.
 */
export interface PartitionHandler {
  /** The lease is ours: load the newest snapshot, replay the rest, start appending with lease.owner. Throwing gives the lease back. */
  acquired(partition: number, lease: Lease): Promise<void>;
  /** Graceful hand-over (balancing or shutdown): stop taking requests, finish the append in flight, snapshot. The lease is released after. */
  releasing(partition: number): Promise<void>;
  /**
   * The lease is gone (CAS lost, or no renewal in time): stop at once; nothing more may be
   * acknowledged. May arrive while acquired() is still loading: compare leases to tell.
   */
  lost(partition: number, why: string): void;
}

export interface CoordinatorOptions {
  partitions: number;
  leases: Leases;
  members: Members;
  handler: PartitionHandler;
  /** Log of ownership changes (pino in phase 2). */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /**
   * Wait this long after joining before the first balance, so members started together see each
   * other and do not take everything only to hand half of it over a moment later.
   */
  settleMs?: number;
  /** After each balance: whether this member now holds exactly its target (nothing to take or hand over). */
  onBalanced?: (balanced: boolean) => void;
}

/**
 * One member's side of partition ownership: registers the member, renews its leases on a timer of
 * their own (so a slow replay never delays a renewal), and on another timer moves towards the
 * balanced target: takes free partitions of its share (polling with create, since lease expiry is
 * silent), hands over partitions beyond it. stop() hands everything over and leaves.
 */
export class Coordinator {
  private readonly held = new Map<number, Lease>();
  private renewTimer: NodeJS.Timeout | undefined;
  private balanceTimer: NodeJS.Timeout | undefined;
  private balancing: Promise<void> = Promise.resolve();
  private stopping = false;
  private renewing = false;
  private soonTimer: NodeJS.Timeout | undefined;
  readonly stats: CoordinatorStats = { renewals: 0, renewalsUnanswered: 0, acquired: 0, released: 0, lost: 0, relinquished: 0 };

  constructor(private readonly o: CoordinatorOptions) {}

  get id(): string {
    return this.o.members.self.id;
  }

  /** Partitions this member holds a lease on (some may still be loading). */
  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  lease(partition: number): Lease | undefined {
    return this.held.get(partition);
  }

  async start(): Promise<void> {
    await this.o.members.join();
    const every = this.o.leases.timings.renewEveryMs;
    this.renewTimer = setInterval(() => void this.renewAll(), every);
    this.balanceTimer = setInterval(() => this.rebalance(), every);
    if (this.o.settleMs) await new Promise((r) => setTimeout(r, this.o.settleMs));
    this.balancing = this.balance();
    await this.balancing;
  }

  /**
   * Graceful stop: leave the members first (so the others' targets no longer count this member
   * and they take each partition as soon as it is released), then hand every partition over.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.balanceTimer);
    clearTimeout(this.soonTimer);
    await this.balancing.catch(() => {});
    await this.o.members.leave();
    await eachLimited(this.owned(), HANDOVER_CONCURRENCY, (p) => this.handOver(p));
    clearInterval(this.renewTimer);
  }

  /**
   * Gives a partition back without a hand-over (its appender failed: fenced, unconfirmed, or the
   * lease ran out by the clock): the member has dropped its state; the lease is released if it is
   * still ours, and the balancing takes the partition again (a fresh load from the log) if the
   * target says so.
   */
  async relinquish(partition: number, why: string): Promise<void> {
    const lease = this.held.get(partition);
    if (!lease) return;
    this.held.delete(partition);
    this.stats.relinquished++;
    this.log('partition relinquished', { partition, owner: lease.owner, why });
    await this.o.leases.release(lease);
  }

  /** Stops without handing anything over (a crash as others see it): for tests and fatal errors. */
  abandon(): void {
    this.stopping = true;
    clearInterval(this.balanceTimer);
    clearTimeout(this.soonTimer);
    clearInterval(this.renewTimer);
    this.o.members.stop();
  }

  private async renewAll(): Promise<void> {
    // Two renewals of one lease at once would race on the same revision and one would read as lost.
    if (this.renewing) return;
    this.renewing = true;
    try {
      await this.renewEach();
    } finally {
      this.renewing = false;
    }
  }

  private async renewEach(): Promise<void> {
    await Promise.all(
      [...this.held.values()].map(async (lease) => {
        const result = await this.o.leases.renew(lease).catch(() => 'unknown' as const);
        if (result === 'renewed') this.stats.renewals++;
        else if (result === 'unknown') this.stats.renewalsUnanswered++;
        if (this.held.get(lease.partition) !== lease) return;
        if (result === 'lost') this.drop(lease.partition, 'lease lost to another member or expired');
        else if (result === 'unknown' && this.o.leases.remainingMs(lease) <= 0) this.drop(lease.partition, 'no renewal answered in time');
      }),
    );
  }

  private drop(partition: number, why: string): void {
    this.held.delete(partition);
    this.stats.lost++;
    this.log('partition lost', { partition, why });
    this.o.handler.lost(partition, why);
  }

  /** Queues a balance after the one running (balances never overlap). */
  private rebalance(): void {
    this.balancing = this.balancing.then(() => this.balance()).catch((err: unknown) => this.log('balance failed', { error: String(err) }));
  }

  /**
   * While partitions of this member's target are still held by others that are handing them
   * over, look again soon rather than at the next tick: each poll saved is time the partition
   * has no owner.
   */
  private soon(): void {
    if (this.soonTimer || this.stopping) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.rebalance();
    }, WAITING_POLL_MS);
  }

  private async balance(): Promise<void> {
    if (this.stopping) return;
    const [members, holders] = await Promise.all([this.o.members.list(), this.o.leases.holders()]);
    const ids = members.map((m) => m.id);
    if (!ids.includes(this.id)) ids.push(this.id);
    for (const p of this.held.keys()) holders.set(p, this.id);
    const plan = planFor(this.id, assignTarget(this.o.partitions, ids, holders), this.held.keys());
    await eachLimited(plan.release, LOAD_CONCURRENCY, async (p) => {
      if (!this.stopping) await this.handOver(p);
    });
    if (this.stopping) return;
    const taken: [number, Lease][] = [];
    let waiting = 0;
    for (const p of plan.take) {
      if (this.stopping) break;
      // Held by a live member that has not handed it over yet: its create would fail anyway.
      const holder = holders.get(p);
      if (holder !== undefined && holder !== this.id && ids.includes(holder)) {
        waiting++;
        continue;
      }
      const lease = await this.o.leases.acquire(p).catch(() => null);
      if (!lease) {
        waiting++;
        continue;
      }
      this.held.set(p, lease);
      this.stats.acquired++;
      this.log('partition acquired', { partition: p, owner: lease.owner, previous: holder ?? null });
      taken.push([p, lease]);
    }
    // Loads (snapshot + replay) overlap a few at a time: a failover moves many partitions at once.
    await eachLimited(taken, LOAD_CONCURRENCY, ([p, lease]) => this.load(p, lease));
    if (waiting > 0) this.soon();
    const loaded = taken.every(([p, lease]) => this.held.get(p) === lease);
    this.o.onBalanced?.(!this.stopping && waiting === 0 && loaded && taken.length === plan.take.length && plan.release.length === 0);
  }

  private async load(p: number, lease: Lease): Promise<void> {
    try {
      await this.o.handler.acquired(p, lease);
    } catch (err) {
      this.log('partition load failed', { partition: p, error: String(err) });
      if (this.held.get(p) === lease) {
        this.held.delete(p);
        await this.o.leases.release(lease);
      }
    }
  }

  private async handOver(partition: number): Promise<void> {
    const lease = this.held.get(partition);
    if (!lease) return;
    try {
      await this.o.handler.releasing(partition);
    } catch (err) {
      // No snapshot: the next owner replays more of the log, nothing is lost.
      this.log('partition hand-over failed', { partition, error: String(err) });
    } finally {
      this.held.delete(partition);
      this.stats.released++;
      await this.o.leases.release(lease);
      this.log('partition released', { partition, owner: lease.owner });
    }
  }

  private log(event: string, fields: Record<string, unknown>): void {
    this.o.log?.(event, { member: this.id, ...fields });
  }
}
