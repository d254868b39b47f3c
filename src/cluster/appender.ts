import { randomUUID } from 'node:crypto';
import { AppenderClosed } from './errors.js';
import type { PartitionLog } from './partition-log.js';
import { encodeItems, framedSize, type LogRecord } from './record.js';

export interface AppenderOptions {
  /** Sequence of the partition's last record, as the owner applied it (from replay): the first fence. */
  expected: number;
  /** "<nodeId>/<lease revision>" written into each record. */
  owner: string;
  /** Why this owner may no longer append (its lease by its own clock), or undefined while it may. */
  guard?: () => string | undefined;
  /**
   * Applies a stored record, in log order, before its appends resolve: so an acknowledgement means
   * stored and applied. Not called for a record stored after the guard closed (it is not ours to apply).
   */
  onStored?: (record: LogRecord) => void;
  /** Called once when the appender stops for good (Fenced, NotOwner, AppendUnconfirmed, closed). */
  onFailed?: (err: Error) => void;
  /** Largest record; NATS refuses messages over max_payload (1 MiB by default). */
  maxRecordBytes?: number;
  /** How long one record is retried while the stream has no leader or does not answer. */
  retryForMs?: number;
}

interface Waiter {
  item: Uint8Array;
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

/**
 * Group commit for one partition: one record in flight at a time; items appended meanwhile are
 * coalesced into the next record. Each record carries the fence (the sequence the previous record
 * got) and a Msg-Id unique to this appender, so a retry is recognised and a second writer is
 * refused. After any failure the appender is dead: its owner must stop serving the partition and
 * rebuild from the log (or give it up).
 */
export class Appender {
  private expectedSeq: number;
  private readonly queue: Waiter[] = [];
  private inFlight = false;
  private failure: Error | undefined;
  private counter = 0;
  /** Unique per appender: a new appender (even under the same lease) never reuses a Msg-Id. */
  private readonly nonce = randomUUID().slice(0, 13);
  private readonly maxRecordBytes: number;
  private readonly retryForMs: number;
  private idle: Promise<void> = Promise.resolve();
  private settleIdle: () => void = () => {};

  constructor(
    readonly log: PartitionLog,
    private readonly opts: AppenderOptions,
  ) {
    this.expectedSeq = opts.expected;
    this.maxRecordBytes = opts.maxRecordBytes ?? 900 * 1024;
    this.retryForMs = opts.retryForMs ?? 30_000;
  }

  /** Sequence of the last record this appender stored (or started from). */
  get expected(): number {
    return this.expectedSeq;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Items waiting for the next record. */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves with the sequence of the record that holds `item`, once stored with quorum and applied. */
  append(item: Uint8Array): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (framedSize(item) > this.maxRecordBytes) {
      return Promise.reject(new RangeError(`an item of ${item.length} bytes does not fit a record of at most ${this.maxRecordBytes} bytes`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  /** Stops taking items; queued ones are refused. A record already in flight still completes. */
  close(reason: Error = new AppenderClosed(`partition ${this.log.partition}: appender closed`)): void {
    this.fail(reason);
  }

  /** Resolves when no record is in flight. */
  drained(): Promise<void> {
    return this.idle;
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    this.idle = new Promise((r) => (this.settleIdle = r));
    try {
      while (this.queue.length > 0 && !this.failure) {
        const batch = this.take();
        const expected = this.expectedSeq;
        const msgId = `${this.nonce}-${++this.counter}`;
        const items = batch.map((w) => w.item);
        let seq: number;
        try {
          seq = await this.log.store(encodeItems(items), {
            expected,
            msgId,
            owner: this.opts.owner,
            retryUntil: performance.now() + this.retryForMs,
            guard: this.opts.guard,
          });
          // Stored, but if the lease ran out meanwhile the record is the next owner's to apply.
          const why = this.opts.guard?.();
          if (why !== undefined)
            throw new AppenderClosed(`partition ${this.log.partition}: record ${seq} stored after the lease ran out (${why}); not acknowledged`);
          this.expectedSeq = seq;
          this.opts.onStored?.({ partition: this.log.partition, seq, prev: expected, owner: this.opts.owner, items });
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          for (const w of batch) w.reject(e);
          this.fail(e);
          break;
        }
        for (const w of batch) w.resolve(seq);
      }
    } finally {
      this.inFlight = false;
      this.settleIdle();
    }
  }

  /** The queued items that fit one record, oldest first (always at least one). */
  private take(): Waiter[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length) {
      const size = framedSize(this.queue[n]!.item);
      if (n > 0 && bytes + size > this.maxRecordBytes) break;
      bytes += size;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.queue.splice(0)) w.reject(err);
    this.opts.onFailed?.(err);
  }
}
