import type { Stats } from './stats.js';

export interface ProgressTarget {
  /** Events to send, or null when the run is bounded by time only. */
  events: number | null;
  /** Run length in ms, or null when bounded by events only. */
  durationMs: number | null;
}

/**
 * Progress while sending: one line rewritten in place on a TTY (4 times a second), plain lines
 * every `everyMs` otherwise (logs, CI, docker compose).
 */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private last = { at: performance.now(), acked: 0 };
  private window: { at: number; acked: number }[] = [];

  constructor(
    private readonly stats: Stats,
    private readonly target: ProgressTarget,
    private readonly out: NodeJS.WriteStream,
    private readonly everyMs = 5000,
  ) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.tty ? 250 : this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  private tick(): void {
    const now = performance.now();
    const s = this.stats;
    // Recent rate: over the last ~2 s on a TTY, over the last interval otherwise.
    this.window.push({ at: now, acked: s.acked });
    while (this.window.length > 2 && now - this.window[0]!.at > 2000) this.window.shift();
    const from = this.tty ? this.window[0]! : this.last;
    const recent = now > from.at ? ((s.acked - from.acked) * 1000) / (now - from.at) : 0;
    this.last = { at: now, acked: s.acked };
    const line = progressLine(s, this.target, recent, now);
    if (this.tty) this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns || 120) - 1)}`);
    else this.out.write(`${line}\n`);
  }
}

export function progressLine(s: Stats, target: ProgressTarget, recentRate: number, now = performance.now()): string {
  const elapsed = s.elapsedMs(now);
  let share = '';
  let eta = '?';
  if (target.events !== null) {
    share = ` (${((100 * s.acked) / target.events).toFixed(0)}%)`;
    if (recentRate > 0) eta = seconds(((target.events - s.acked) / recentRate) * 1000);
  }
  if (target.durationMs !== null) {
    const left = Math.max(0, target.durationMs - elapsed);
    if (target.events === null || recentRate <= 0) eta = seconds(left);
    else eta = seconds(Math.min(left, ((target.events - s.acked) / recentRate) * 1000));
  }
  return (
    `[${seconds(elapsed)}] sent ${s.sent} acked ${s.acked}${share} ${Math.round(recentRate)} ev/s` +
    ` errors ${s.errorCount} retried ${s.retried} failed ${s.failed} ETA ${eta}`
  );
}

/** The final summary lines. */
export function summary(s: Stats): string[] {
  const ms = (q: number): string => (Number.isNaN(s.latency.quantile(q)) ? '-' : `${s.latency.quantile(q).toFixed(1)} ms`);
  const lines = [
    `summary: sent ${s.sent} events in ${s.requests} requests, acked ${s.acked}, retried ${s.retried}, failed ${s.failed}` +
      ` in ${(s.elapsedMs() / 1000).toFixed(1)} s: ${Math.round(s.rate())} events/s;` +
      ` ack latency p50 ${ms(0.5)}, p99 ${ms(0.99)}, max ${ms(1)}`,
  ];
  if (s.errors.size > 0) {
    const top = [...s.errors].sort((a, b) => b[1] - a[1]).slice(0, 5);
    lines.push(`errors (failed attempts): ${top.map(([k, n]) => `${k} x${n}`).join(', ')}`);
  }
  for (const a of s.anomalies.slice(0, 5)) lines.push(`anomaly: ${a}`);
  return lines;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
