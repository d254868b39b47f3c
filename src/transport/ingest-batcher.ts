import { ShardRejected, type ShardClient } from './client.js';
import { Kind, packr, type IngestRecord, type ShardFailure } from '../protocol/index.js';

/** Past this many events a frame is sent without waiting for the end of the turn. */
const MAX_FRAME_EVENTS = 50_000;

interface Waiter {
  resolve: (accepted: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces the ingest batches of one event-loop turn for one shard into a single frame (an
 * IngestRecord): one msgpack encode, one socket write, one log put and one ack for all of them.
 */
export class IngestBatcher {
  private batches: IngestRecord = [];
  private waiters: Waiter[] = [];
  private events = 0;
  private scheduled = false;

  /**
   * `client`: where frames go (a shard's socket, or a cluster member over NATS, whose messages are
   * limited in size: `maxFrameEvents` bounds a frame).
   */
  constructor(
    private readonly client: Pick<ShardClient, 'request'>,
    private readonly maxFrameEvents = MAX_FRAME_EVENTS,
  ) {}

  /** Resolves with the number of events the shard accepted for this batch once it is durable. */
  add(batch: IngestRecord[number], events: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.events > 0 && this.events + events > this.maxFrameEvents) this.flush();
      this.batches.push(batch);
      this.waiters.push({ resolve, reject });
      this.events += events;
      if (this.events >= this.maxFrameEvents) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.batches.length === 0) return;
    const { batches, waiters, events } = this;
    this.batches = [];
    this.waiters = [];
    this.events = 0;
    this.client.request(Kind.Ingest, packr.pack(batches), events, true).then(
      (body) => {
        const accepted = packr.unpack(body) as (number | ShardFailure)[];
        waiters.forEach((w, i) => {
          const a = accepted[i];
          if (typeof a === 'number') w.resolve(a);
          else w.reject(new ShardRejected(a ?? { code: 'unavailable', message: 'the shard answered fewer batches than it was sent' }));
        });
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
