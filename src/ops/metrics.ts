import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Exchange } from '../http/index.js';
import { logger } from '../log.js';
import type { Backend, ShardMetrics } from '../protocol/index.js';
import { ClusterMetrics } from './cluster-metrics.js';

type Child = { observe(value: number): void };

/**
 * The values the `method` label may take: a client can send any token as a method, and every new
 * label value is a new series that /metrics carries forever, so anything else is `other`.
 */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'other');

/** Request durations, seconds: ingest commits take about a millisecond, queries less. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * GET /metrics (Prometheus text format) for the front and every shard.
 *
 * The request path only touches counters and histograms (`onResponse`, called once per answered
 * request, with label children cached so no label object is built per request). Everything about
 * the shards is read when Prometheus scrapes: one 'metrics' query to each shard.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Plain running total, for the dashboard's events/s. */
  eventsIngested = 0;
  private readonly debugRequests = logger().isLevelEnabled('debug');

  private readonly durations = new Histogram({
    name: 'wt_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by route pattern (unmatched for none), method (other for a method outside GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH) and status code.',
    labelNames: ['route', 'method', 'code'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly durationChildren = new Map<string, Map<string, Map<number, Child>>>();

  private readonly ingested = new Counter({
    name: 'wt_events_ingested_total',
    help: 'Events acknowledged with 200 (stored durably and applied).',
    registers: [this.registry],
  });

  private readonly rejected = new Counter({
    name: 'wt_ingest_requests_rejected_total',
    help: 'Ingest requests answered with an error, by error code (invalid_event, invalid_json, payload_too_large, unavailable, ...). Nothing from them was acknowledged.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly rejectedChildren = new Map<string, { inc(n?: number): void }>();

  private readonly shardUp = this.gauge('wt_shard_up', 'Whether the front is connected to the shard and it answered the metrics query (1) or not (0).');
  // Named after the figure each one shows: the front's count of what it sent the shard, and the
  // shard's own count of frames not yet committed.
  private readonly pendingEvents = this.gauge(
    'wt_shard_pending_events',
    'Events the front has sent to the shard and not seen confirmed, plus one per unanswered query; at MAX_INFLIGHT_EVENTS the front answers 503. A request answered 503 after ACK_TIMEOUT_MS counts until the shard replies.',
  );
  private readonly uncommittedFrames = this.gauge(
    'wt_shard_uncommitted_frames',
    'Ingest frames (one log record each, the batches of one event-loop turn) the shard has received and not yet committed to its log and acknowledged.',
  );
  private readonly reconnects = new Counter({
    name: 'wt_shard_reconnects_total',
    help: 'Times the front reconnected to the shard after losing it (shard restarts seen by the front).',
    labelNames: ['shard'] as const,
    registers: [this.registry],
  });
  private readonly logSeq = this.gauge('wt_shard_log_sequence', 'Last sequence number in the shard log.');
  private readonly snapshotSeq = this.gauge('wt_shard_snapshot_sequence', 'Log sequence the newest snapshot covers.');
  private readonly snapshotAge = this.gauge('wt_shard_snapshot_age_seconds', 'Seconds since the newest snapshot was taken (absent before the first).');
  private readonly users = this.gauge('wt_shard_users', 'Users on the shard (users are partitioned: the sum is the total).');
  private readonly pairs = this.gauge('wt_shard_pairs', 'User-movie pairs on the shard (the sum is the total).');
  private readonly movies = this.gauge('wt_shard_movies', 'Movies with at least one event on the shard (a movie may be on several shards).');
  private readonly rss = new Gauge({
    name: 'wt_process_resident_memory_bytes',
    help: 'Resident set size of each process of the service.',
    labelNames: ['process'] as const,
    registers: [this.registry],
  });

  private readonly shardLabels: string[];
  private readonly reconnectsSeen: number[];

  private readonly cluster = new ClusterMetrics(this.registry);

  constructor(private readonly shards: Backend) {
    // process_* and nodejs_* of the front process (CPU, heap, event loop lag, GC, handles).
    collectDefaultMetrics({ register: this.registry });
    // Gauges must not end in _total (promtool check metrics, OpenMetrics): these three are the sums
    // of nodejs_active_{handles,requests,resources}{type}, which stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.shardLabels = shards.links.map((c) => String(c.shard));
    this.reconnectsSeen = shards.links.map(() => 0);
    for (const shard of this.shardLabels) this.reconnects.labels(shard).inc(0);
    this.ingested.inc(0);
  }

  private gauge(name: string, help: string): Gauge<'shard'> {
    return new Gauge({ name, help, labelNames: ['shard'] as const, registers: [this.registry] });
  }

  /** Once per answered request (the HTTP app's onResponse hook): the only per-request work. */
  onResponse(ex: Exchange, status: number, body: unknown): void {
    const seconds = (performance.now() - ex.startedAt) / 1000;
    // Labels only take bounded values: the route pattern the router matched (never the raw path),
    // the method from a fixed set, the status code the service chose.
    const route = ex.route || 'unmatched';
    this.durationChild(route, methodLabel(ex.method), status).observe(seconds);
    if (route === '/events' || route === '/') {
      if (status === 200) {
        const accepted = (body as { accepted?: unknown } | null)?.accepted;
        if (typeof accepted === 'number') {
          this.eventsIngested += accepted;
          this.ingested.inc(accepted);
        }
      } else {
        const code = (body as { error?: unknown } | null)?.error;
        this.rejectedChild(typeof code === 'string' ? code : String(status)).inc();
      }
    }
    if (this.debugRequests) logger().debug({ method: ex.method, route, status, ms: seconds * 1000 }, 'request');
  }

  private durationChild(route: string, method: string, code: number): Child {
    let byMethod = this.durationChildren.get(route);
    if (!byMethod) this.durationChildren.set(route, (byMethod = new Map<string, Map<number, Child>>()));
    let byCode = byMethod.get(method);
    if (!byCode) byMethod.set(method, (byCode = new Map<number, Child>()));
    let child = byCode.get(code);
    if (!child) byCode.set(code, (child = this.durations.labels(route, method, String(code))));
    return child;
  }

  private rejectedChild(reason: string): { inc(n?: number): void } {
    let child = this.rejectedChildren.get(reason);
    if (!child) this.rejectedChildren.set(reason, (child = this.rejected.labels(reason)));
    return child;
  }

  /** Each shard's figures, null for a shard that is down or did not answer. */
  async shardMetrics(): Promise<(ShardMetrics | null)[]> {
    const results = await Promise.allSettled(this.shards.links.map((c) => this.shards.query(c.shard, { op: 'metrics' })));
    return results.map((r) => (r.status === 'fulfilled' ? r.value : null));
  }

  /** The exposition text: reads every shard, then renders the registry. */
  async text(): Promise<string> {
    const stats = await this.shardMetrics();
    const now = Date.now();
    for (const g of [
      this.shardUp,
      this.pendingEvents,
      this.uncommittedFrames,
      this.logSeq,
      this.snapshotSeq,
      this.snapshotAge,
      this.users,
      this.pairs,
      this.movies,
    ])
      g.reset();
    this.rss.reset();
    this.rss.labels('front').set(process.memoryUsage.rss());
    for (const client of this.shards.links) {
      const k = client.shard;
      const shard = this.shardLabels[k]!;
      // Connections after the first are reconnects; counted as they are seen, so the counter only grows.
      const seen = Math.max(0, client.connections - 1);
      if (seen > this.reconnectsSeen[k]!) {
        this.reconnects.labels(shard).inc(seen - this.reconnectsSeen[k]!);
        this.reconnectsSeen[k] = seen;
      }
      this.pendingEvents.labels(shard).set(client.pendingEvents);
      const s = stats[k];
      this.shardUp.labels(shard).set(s ? 1 : 0);
      if (!s) continue;
      this.uncommittedFrames.labels(shard).set(s.uncommittedFrames);
      this.logSeq.labels(shard).set(s.logSeq);
      this.snapshotSeq.labels(shard).set(s.snapshotSeq);
      if (s.snapshotAt !== null) this.snapshotAge.labels(shard).set(Math.max(0, (now - s.snapshotAt) / 1000));
      this.users.labels(shard).set(s.users);
      this.pairs.labels(shard).set(s.pairs);
      this.movies.labels(shard).set(s.movies);
      this.rss.labels(`shard-${k}`).set(s.rssBytes);
    }
    this.cluster.update(stats);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
