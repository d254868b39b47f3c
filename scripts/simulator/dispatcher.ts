import type { Oracle } from './oracle.js';
import { Rng } from './random.js';
import type { EventSender } from './sender.js';
import type { Stats } from './stats.js';
import type { Heartbeat, ViewerModel } from './viewers.js';

export interface DispatchOptions {
  /** Stop after this many events (first sends), or null. */
  events: number | null;
  /** Stop generating after this many ms, or null. */
  durationMs: number | null;
  /** Events per second, 0 = as fast as the service acknowledges them. */
  rate: number;
  /** Requests in flight (one per connection). */
  concurrency: number;
  /** Events per request, uniform in [batchMin, batchMax]; a request of one event is sent as an object. */
  batchMin: number;
  batchMax: number;
  seed: number;
  /**
   * Start no request in the last this-many ms of a minute (0: off): requests then nearly never
   * straddle a minute change, so the oracle knows each event's series bucket exactly.
   */
  minuteGuardMs?: number;
}

/**
 * Sends the viewers' heartbeats: `concurrency` workers each take up to a batch of *ready* viewers
 * (whose previous event is acknowledged), generate one event per viewer, send them as one request
 * and, on 200, apply them to the oracle and put the viewers back in the queue. A viewer is never
 * in two requests at once, so a pair's (and a user's) events are applied in the order they were
 * generated, and one request never holds two events of a pair.
 */
export async function dispatch(
  model: ViewerModel,
  sender: EventSender,
  oracle: Oracle,
  stats: Stats,
  opts: DispatchOptions,
  stopped: () => boolean,
): Promise<void> {
  const ready = new ViewerQueue(model.size);
  const pacer = new Pacer(opts.rate);
  const sizes = new Rng(opts.seed, 3);
  const started = performance.now();
  let generated = 0;
  let busy = 0;
  let waiters: (() => void)[] = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const outOfBudget = (): boolean =>
    stopped() || (opts.events !== null && generated >= opts.events) || (opts.durationMs !== null && performance.now() - started >= opts.durationMs);

  const worker = async (): Promise<void> => {
    for (;;) {
      if (outOfBudget()) return;
      while (ready.size === 0) {
        if (busy === 0) return; // every viewer retired
        await new Promise<void>((r) => waiters.push(r));
        if (outOfBudget()) return;
      }
      let want = opts.batchMin + sizes.int(opts.batchMax - opts.batchMin + 1);
      if (opts.events !== null) want = Math.min(want, opts.events - generated);
      const viewers = ready.take(want);
      generated += viewers.length;
      busy++;
      try {
        await pacer.take(viewers.length);
        await minuteGuard(opts.minuteGuardMs ?? 0);
        await sendOnce(viewers);
      } finally {
        busy--;
        wake();
      }
    }
  };

  const sendOnce = async (viewers: number[]): Promise<void> => {
    const events: Heartbeat[] = viewers.map((v) => model.next(v));
    stats.sent += events.length;
    stats.requests++;
    const sentAt = Date.now();
    const outcome = await sender.send(
      events,
      (notice) => {
        stats.retried += events.length;
        stats.error(notice.reason);
        if (notice.maybeStored) for (const e of events) oracle.maybeApplied(e);
      },
      stopped,
    );
    switch (outcome.kind) {
      case 'acked': {
        const now = Date.now();
        for (const e of events) oracle.acknowledge(e, now, sentAt);
        stats.acked += events.length;
        stats.latency.record(outcome.latencyMs);
        if (outcome.anomaly) stats.anomalies.push(outcome.anomaly);
        ready.put(viewers);
        return;
      }
      case 'rejected':
        // Nothing of the request is stored (CONTRACT §2): the truth is intact, but a valid event
        // was refused, which a correct service and simulator never do.
        stats.failed += events.length;
        stats.error(outcome.reason);
        stats.anomalies.push(`rejected ${JSON.stringify(events.length === 1 ? events[0] : events.slice(0, 3))}: ${outcome.reason}`);
        ready.put(viewers);
        return;
      case 'lost':
        stats.failed += events.length;
        stats.error(outcome.reason);
        if (outcome.maybeStored) {
          // Unknown whether stored: those pairs, users and movies are no longer checked, and the
          // viewers stop (their next event's effect would depend on the unknown one).
          for (const e of events) oracle.lost(e);
        } else {
          ready.put(viewers);
        }
        return;
    }
  };

  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
}

/** Waits for the next minute when fewer than `guardMs` ms of this one are left. */
async function minuteGuard(guardMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < guardMs) await new Promise((r) => setTimeout(r, left + 2));
}

/** FIFO of ready viewer indices (a ring buffer: every viewer is in it at most once). */
class ViewerQueue {
  private readonly ring: Int32Array;
  private head = 0;
  size: number;

  constructor(n: number) {
    this.ring = new Int32Array(Math.max(1, n));
    for (let i = 0; i < n; i++) this.ring[i] = i;
    this.size = n;
  }

  take(max: number): number[] {
    const n = Math.min(max, this.size);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(this.ring[this.head]!);
      this.head = (this.head + 1) % this.ring.length;
    }
    this.size -= n;
    return out;
  }

  put(viewers: number[]): void {
    for (const v of viewers) {
      this.ring[(this.head + this.size) % this.ring.length] = v;
      this.size++;
    }
  }
}

/** Spaces sends to `rate` events per second (0 = unpaced), without bursting to catch up after a stall. */
class Pacer {
  private next = performance.now();

  constructor(private readonly rate: number) {}

  async take(events: number): Promise<void> {
    if (this.rate <= 0) return;
    const now = performance.now();
    // Allow at most 100 ms of catch-up after a slow period.
    if (this.next < now - 100) this.next = now - 100;
    const at = this.next;
    this.next += (events * 1000) / this.rate;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}
