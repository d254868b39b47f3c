/**
 * Latencies in a log-bucketed histogram: 1 % resolution from 10 µs to beyond 100 s, a few KB
 * whatever the run length, so quantiles of long runs cost no memory.
 */
export class LatencyHistogram {
  private static readonly BASE_MS = 0.01;
  private static readonly GROWTH = Math.log(1.01);
  private counts = new Float64Array(2048);
  count = 0;
  max = 0;

  record(ms: number): void {
    const i =
      ms <= LatencyHistogram.BASE_MS ? 0 : Math.min(this.counts.length - 1, Math.ceil(Math.log(ms / LatencyHistogram.BASE_MS) / LatencyHistogram.GROWTH));
    this.counts[i]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The latency under which a share `q` of the samples fall (upper edge of the bucket, within 1 %); NaN if empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, LatencyHistogram.BASE_MS * Math.exp(i * LatencyHistogram.GROWTH));
    }
    return this.max;
  }
}

/** Counters of one run. Events count once however often they were sent; `retried` counts re-sends. */
export class Stats {
  /** Distinct events sent at least once. */
  sent = 0;
  requests = 0;
  /** Events acknowledged with 200. */
  acked = 0;
  /** Event re-sends (an event in a retried batch of 10 counts 10). */
  retried = 0;
  /** Events the service refused (4xx) or that were given up after retries. */
  failed = 0;
  /** Failed attempts by reason (status or network error). */
  readonly errors = new Map<string, number>();
  /** Things a correct service never does, e.g. 200 with the wrong `accepted`. */
  readonly anomalies: string[] = [];
  /** Per request: first attempt to 200. */
  readonly latency = new LatencyHistogram();
  readonly startedAt = performance.now();
  finishedAt: number | null = null;

  error(reason: string): void {
    // Keep the key short: "503 unavailable", "ECONNRESET", ...
    const key = reason.replace(/^(POST|GET) \S+: /, '');
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  get errorCount(): number {
    let n = 0;
    for (const c of this.errors.values()) n += c;
    return n;
  }

  elapsedMs(now = performance.now()): number {
    return (this.finishedAt ?? now) - this.startedAt;
  }

  /** Acknowledged events per second over the whole run. */
  rate(now = performance.now()): number {
    const s = this.elapsedMs(now) / 1000;
    return s > 0 ? this.acked / s : 0;
  }
}
