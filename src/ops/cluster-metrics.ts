import { Counter, Gauge, type Registry } from 'prom-client';
import type { MemberMetrics, ShardMetrics } from '../protocol/index.js';

type CounterKey = Exclude<keyof MemberMetrics, 'member' | 'owned' | 'serving' | 'lastLoadMs' | 'loadMsTotal'>;

/** Counters each member keeps since it started, exposed as Prometheus counters (a restart resets them, as Prometheus expects). */
const COUNTERS: [CounterKey, string, string][] = [
  ['renewals', 'wt_cluster_lease_renewals_total', 'Lease renewals the member made (revision CAS accepted).'],
  ['renewalsUnanswered', 'wt_cluster_lease_renewals_unanswered_total', 'Lease renewals that got no answer (the lease is kept until its clock guard closes).'],
  ['lost', 'wt_cluster_leases_lost_total', 'Leases lost (refused renewal, or none answered in time): the partition stopped being served here at once.'],
  ['acquired', 'wt_cluster_leases_acquired_total', 'Leases taken (a free partition of its share).'],
  ['released', 'wt_cluster_partitions_released_total', 'Partitions handed over gracefully (drain, snapshot, release).'],
  ['relinquished', 'wt_cluster_partitions_relinquished_total', 'Partitions given back after their appender failed (fenced, unconfirmed, lease ran out).'],
  ['takeovers', 'wt_cluster_takeovers_total', 'Partitions loaded (snapshot + replay + fencing marker) and served.'],
  ['replayedRecords', 'wt_cluster_replayed_records_total', 'Log records replayed while loading partitions.'],
  ['fencedAppends', 'wt_cluster_fenced_appends_total', 'Appends refused by the log because another owner had appended (the partition is dropped and rebuilt).'],
  ['appendFailures', 'wt_cluster_append_failures_total', 'Appenders stopped for another reason (lease ran out by the clock, append unconfirmed).'],
  ['snapshots', 'wt_cluster_snapshots_total', 'Partition snapshots stored in the engine.'],
  ['snapshotFailures', 'wt_cluster_snapshot_failures_total', 'Partition snapshots that failed (the log still holds everything).'],
];

/**
 * Cluster mode's figures of each member (shard process) of this host, from its 'metrics' answer:
 * partitions held and served, lease renewals and losses, takeovers, fenced appends, load (replay)
 * time, snapshots. Nothing is registered in embedded mode until a member reports.
 */
export class ClusterMetrics {
  private owned: Gauge<'shard'> | undefined;
  private serving: Gauge<'shard'> | undefined;
  private lastLoad: Gauge<'shard'> | undefined;
  private loadTotal: Counter<'shard'> | undefined;
  private counters: Map<CounterKey, Counter<'shard'>> | undefined;

  constructor(private readonly registry: Registry) {}

  /** Called at each scrape with every local shard's metrics (null: did not answer). */
  update(stats: readonly (ShardMetrics | null)[]): void {
    const members = stats.filter((s): s is ShardMetrics & { cluster: MemberMetrics } => !!s?.cluster);
    if (members.length === 0) return;
    this.register();
    for (const g of [this.owned!, this.serving!, this.lastLoad!]) g.reset();
    for (const s of members) {
      const shard = String(s.shard);
      const c = s.cluster;
      this.owned!.labels(shard).set(c.owned);
      this.serving!.labels(shard).set(c.serving);
      this.lastLoad!.labels(shard).set(c.lastLoadMs / 1000);
      setCounter(this.loadTotal!, shard, c.loadMsTotal / 1000);
      for (const [key, counter] of this.counters!) setCounter(counter, shard, c[key]);
    }
  }

  private register(): void {
    if (this.counters) return;
    const registers = [this.registry];
    this.owned = new Gauge({ name: 'wt_cluster_partitions_owned', help: 'Partitions the member holds a lease on.', labelNames: ['shard'], registers });
    this.serving = new Gauge({ name: 'wt_cluster_partitions_serving', help: 'Partitions the member has loaded and serves.', labelNames: ['shard'], registers });
    this.lastLoad = new Gauge({
      name: 'wt_cluster_last_load_seconds',
      help: 'Time the member took for its last partition load (snapshot + replay + fencing marker).',
      labelNames: ['shard'],
      registers,
    });
    this.loadTotal = new Counter({
      name: 'wt_cluster_load_seconds_total',
      help: 'Time spent loading partitions (snapshot + replay + marker).',
      labelNames: ['shard'],
      registers,
    });
    this.counters = new Map(COUNTERS.map(([key, name, help]) => [key, new Counter({ name, help, labelNames: ['shard'], registers })]));
  }
}

/** A counter mirroring another process's running total. */
function setCounter(counter: Counter<'shard'>, shard: string, value: number): void {
  counter.remove(shard);
  counter.labels(shard).inc(value);
}
