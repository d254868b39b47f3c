import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { AppendUnconfirmed, Fenced, ForkDetected, NotOwner, ReplayStalled } from './errors.js';
import { logStreamName, partitionSubject, streamIndexOf, type Names } from './names.js';
import { decodeItems, HDR_MSG_ID, HDR_OWNER, HDR_PREV, type LogRecord } from './record.js';

export interface PartitionLogOptions {
  /** Timeout of one publish attempt; a slow or leaderless stream is retried until the store's deadline. */
  attemptTimeoutMs?: number;
}

/** The last record of a partition as the stream leader has it. */
export interface LastRecord {
  seq: number;
  msgId: string | undefined;
  prev: number;
  owner: string;
}

export interface StoreOptions {
  /** The subject sequence this record must follow: the fence. */
  expected: number;
  /** Nats-Msg-Id: the same for every retry of this record. */
  msgId: string;
  /** "<nodeId>/<lease revision>", kept in the record for operators and the chain check. */
  owner: string;
  /** performance.now() after which an unanswered store gives up (AppendUnconfirmed). */
  retryUntil: number;
  /** Returns why this writer may no longer append (lease gone by its clock), or undefined. */
  guard?: () => string | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A replay pull expires (and is sent again) this often; the client resets the ordered consumer
 * after two missed heartbeats of half that. The client's default of 30 s let one lost pull hold a
 * partition's load for tens of seconds.
 */
const REPLAY_PULL_EXPIRES_MS = 2000;
/** No record for this long with records still to read: the replay stops (ReplayStalled) and is read on. */
const REPLAY_STALL_MS = 8000;

const isWrongLastSequence = (err: unknown): boolean =>
  err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);

/**
 * Errors that say nothing about whether the record was stored, or that pass with time: timeouts,
 * no responders while a stream elects a leader (the client calls that "jetstream is not enabled"),
 * a 503 from the API, a connection being re-established. Other API errors are final.
 */
function isTransient(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status === 503;
  return err instanceof Error;
}

/**
 * One partition's subject in its log stream. Raw operations only: the fenced store with its
 * reconciliation, the last record, a chain-checked replay, and the purge behind a snapshot.
 * Group commit and ownership sit above this (appender.ts, leases.ts).
 */
export class PartitionLog {
  readonly stream: string;
  readonly subject: string;
  private readonly attemptTimeoutMs: number;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    names: Names,
    readonly partition: number,
    opts: PartitionLogOptions = {},
  ) {
    this.stream = logStreamName(names, streamIndexOf(names, partition));
    this.subject = partitionSubject(names, partition);
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
  }

  /**
   * Stores one record after `expected`, retrying transient failures with the same Nats-Msg-Id.
   * Resolves with its sequence. A wrong-last-sequence answer is reconciled against the subject's last
   * message: on R3 a retry of a record that was in fact stored gets 10071 rather than `duplicate`,
   * so the record is ours if the last message carries our Msg-Id; otherwise another writer got in
   * first and this one is Fenced.
   */
  async store(data: Uint8Array, o: StoreOptions): Promise<number> {
    const h = headers();
    h.set(HDR_PREV, String(o.expected));
    h.set(HDR_OWNER, o.owner);
    for (let attempt = 0; ; attempt++) {
      const why = o.guard?.();
      if (why !== undefined) throw new NotOwner(this.partition, why);
      try {
        // retries: 1 = no retry inside the client; this loop retries with the reconciliation above.
        const ack = await this.js.publish(this.subject, data, {
          msgID: o.msgId,
          expect: { lastSubjectSequence: o.expected },
          headers: h,
          timeout: this.attemptTimeoutMs,
          retries: 1,
        });
        // `duplicate` (R1, or a retry the leader still deduplicates) carries the first store's seq.
        return ack.seq;
      } catch (err) {
        if (isWrongLastSequence(err)) {
          const last = await this.last(o.retryUntil);
          if (last?.msgId === o.msgId) return last.seq;
          throw new Fenced(this.partition, o.expected, last?.seq);
        }
        if (!isTransient(err)) throw err;
        if (performance.now() >= o.retryUntil) throw new AppendUnconfirmed(this.partition, err);
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  /** The subject's last record from the stream leader (not a direct get a lagging follower may answer); null if none. */
  async last(retryUntil = performance.now() + 10_000): Promise<LastRecord | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const m = await this.jsm.streams.getMessage(this.stream, { last_by_subj: this.subject });
        return m === null ? null : lastOf(m);
      } catch (err) {
        if (!isTransient(err) || performance.now() >= retryUntil) throw err;
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  /** Sequence of the subject's last record, 0 if it has none. */
  async lastSeq(retryUntil?: number): Promise<number> {
    return (await this.last(retryUntil))?.seq ?? 0;
  }

  /**
   * The records after `after` (0, or the sequence of a record of this subject such as the one a
   * snapshot covers) up to the subject's last record as the leader has it when replay starts.
   * Each record must name the previous one as the sequence its writer expected: a break in that
   * chain (a fork, or a record lost) throws ForkDetected. Reads through an ordered consumer
   * filtered on the subject, in batches. Nothing received for `stallMs` with records still to
   * read throws ReplayStalled: the caller has applied every record yielded and reads on from there.
   */
  async *replay(after: number, opts: { until?: number; batch?: number; stallMs?: number } = {}): AsyncGenerator<LogRecord> {
    const until = opts.until ?? (await this.lastSeq());
    if (until <= after) return;
    const stallMs = opts.stallMs ?? REPLAY_STALL_MS;
    const consumer = await this.orderedConsumer(after + 1);
    const messages = await consumer.consume({ max_messages: opts.batch ?? 512, expires: REPLAY_PULL_EXPIRES_MS });
    let prev = after;
    let stalled = false;
    // Restarted by every record; while the caller applies one (between yields) it does not run.
    let watchdog: NodeJS.Timeout | undefined;
    const watch = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        messages.stop();
      }, stallMs);
    };
    try {
      watch();
      for await (const m of messages) {
        clearTimeout(watchdog);
        const record = recordOf(this.partition, m);
        if (record.prev !== prev) throw new ForkDetected(this.partition, record.seq, record.prev, prev);
        prev = record.seq;
        yield record;
        if (record.seq >= until) break;
        watch();
      }
    } finally {
      clearTimeout(watchdog);
      messages.stop();
    }
    if (stalled && prev < until) throw new ReplayStalled(this.partition, prev, until, stallMs);
    if (prev < until) throw new Error(`partition ${this.partition}: replay stopped at ${prev} before the last record ${until}`);
  }

  /**
   * An ordered consumer of the subject from `start`. Creating one goes through the stream's (and
   * the meta) leader, so right after a leader is lost it times out until the election is over
   * (4–7 s measured): retried like last(), for up to 15 s.
   */
  private async orderedConsumer(start: number, retryUntil = performance.now() + 15_000) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.js.consumers.get(this.stream, { filter_subjects: this.subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start });
      } catch (err) {
        if (!isTransient(err) || performance.now() >= retryUntil) throw err;
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  /** Drops the subject's records before `seq`, keeping `seq` itself (the fence and chain need it). */
  async purgeBefore(seq: number): Promise<number> {
    if (seq <= 1) return 0;
    const r = await this.jsm.streams.purge(this.stream, { filter: this.subject, seq });
    return r.purged;
  }
}

function numberHeader(h: MsgHdrs | undefined, name: string): number {
  const v = h?.get(name);
  return v ? Number(v) : NaN;
}

function lastOf(m: StoredMsg): LastRecord {
  return { seq: m.seq, msgId: m.header.get(HDR_MSG_ID) || undefined, prev: numberHeader(m.header, HDR_PREV), owner: m.header.get(HDR_OWNER) };
}

function recordOf(partition: number, m: JsMsg): LogRecord {
  return { partition, seq: m.seq, prev: numberHeader(m.headers, HDR_PREV), owner: m.headers?.get(HDR_OWNER) ?? '', items: decodeItems(m.data) };
}
