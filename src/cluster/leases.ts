import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { leaseKey } from './names.js';
import type { Timings } from './timings.js';

/** A partition lease this process holds. `revision` moves with every renewal; `epoch` is the revision it was taken at. */
export interface Lease {
  partition: number;
  epoch: number;
  revision: number;
  /** performance.now() until which this holder may append: last renewal's send time + TTL - margin. */
  validUntil: number;
  /** "<nodeId>/<epoch>": names the writer in log records. */
  owner: string;
  /** A renewal that got no answer: recognised by its nonce if it was stored after all. */
  unanswered?: { nonce: string; sent: number };
}

export type RenewResult = 'renewed' | 'lost' | 'unknown';

interface LeaseValue {
  node: string;
  /** Unique per write, so a write whose answer was lost can be recognised as ours. */
  nonce: string;
}

/**
 * Partition leases in a KV bucket whose TTL is the lease TTL: taken with create, renewed with an
 * update CAS on the revision, released with a delete CAS. Ownership is decided from CAS results
 * only; a plain get may come from a lagging follower, so it is used solely to recognise our own
 * write when an answer was lost (a nonce nobody else writes). Expiry is silent on 2.10 (no delete
 * marker reaches watchers), so whoever wants a partition polls by trying `create`.
 */
export class Leases {
  /** Creates that got no answer, per partition. */
  private readonly unanswered = new Map<number, { nonce: string; sent: number }>();

  constructor(
    private readonly kv: KV,
    readonly nodeId: string,
    readonly timings: Timings,
  ) {}

  /**
   * Takes the partition if nobody holds it; null if someone does. A create whose answer was lost is
   * remembered, so a later attempt recognises the lease as ours if that create went through.
   */
  async acquire(partition: number): Promise<Lease | null> {
    const sent = performance.now();
    const value = this.value();
    let revision: number | null = null;
    try {
      revision = await this.kv.create(leaseKey(partition), JSON.stringify(value));
    } catch {
      const earlier = this.unanswered.get(partition);
      const entry = await this.read(partition);
      if (entry?.nonce === value.nonce) revision = entry.revision;
      else if (earlier && entry?.nonce === earlier.nonce) return this.adopt(partition, entry.revision, earlier.sent);
      else if (!entry) this.unanswered.set(partition, { nonce: value.nonce, sent });
    }
    if (revision === null) return null;
    return this.adopt(partition, revision, sent);
  }

  /**
   * Extends the lease by one TTL. 'lost': the CAS says someone else's revision (or it expired and
   * was retaken). 'unknown': no answer; the lease is kept but not extended (its guard closes on
   * time), and the next renewal recognises this write if it went through.
   */
  async renew(lease: Lease): Promise<RenewResult> {
    const sent = performance.now();
    const value = this.value();
    try {
      const revision = await this.kv.update(leaseKey(lease.partition), JSON.stringify(value), lease.revision);
      return this.extend(lease, revision, sent);
    } catch (err) {
      const entry = await this.read(lease.partition);
      if (entry?.nonce === value.nonce) return this.extend(lease, entry.revision, sent);
      if (lease.unanswered && entry?.nonce === lease.unanswered.nonce) {
        // An earlier renewal did go through: carry on from its revision.
        this.extend(lease, entry.revision, lease.unanswered.sent);
        return this.renew(lease);
      }
      if (isWrongLastSequence(err) || (entry !== undefined && entry?.node !== this.nodeId)) return 'lost';
      if (entry === null) return 'lost';
      lease.unanswered = { nonce: value.nonce, sent };
      return 'unknown';
    }
  }

  /** Gives the partition up at once (graceful hand-over); a lease already lost is left alone. */
  async release(lease: Lease): Promise<void> {
    lease.validUntil = 0;
    try {
      await this.kv.delete(leaseKey(lease.partition), { previousSeq: lease.revision });
    } catch {
      /* lost already, or the bucket is unreachable: the TTL frees it */
    }
  }

  /** ms this holder may still append, by its own monotonic clock (≤ 0: stop). */
  remainingMs(lease: Lease): number {
    return lease.validUntil - performance.now();
  }

  /** An appender guard: why the lease no longer allows appends, or undefined. */
  guard(lease: Lease): () => string | undefined {
    return () => {
      const left = this.remainingMs(lease);
      return left > 0 ? undefined : `lease ${lease.owner} ran out ${Math.round(-left)} ms ago by this process's clock`;
    };
  }

  /**
   * Who holds which partition, as far as some replica knows: for balancing and status only, never
   * to decide ownership.
   */
  async holders(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const keys = new Set<string>(); // keys() can deliver a key twice when it changes meanwhile
    for await (const k of await this.kv.keys()) keys.add(k);
    // Read together: one round trip each, not one after another.
    const entries = await Promise.all([...keys].filter((k) => /^p\d+$/.test(k)).map(async (k) => [k, await this.kv.get(k)] as const));
    for (const [k, e] of entries) {
      if (!e || e.operation !== 'PUT') continue;
      out.set(Number(k.slice(1)), e.json<LeaseValue>().node);
    }
    return out;
  }

  private value(): LeaseValue {
    return { node: this.nodeId, nonce: randomUUID() };
  }

  private adopt(partition: number, revision: number, sent: number): Lease {
    this.unanswered.delete(partition);
    return { partition, epoch: revision, revision, validUntil: sent + this.timings.leaseTtlMs - this.timings.marginMs, owner: `${this.nodeId}/${revision}` };
  }

  private extend(lease: Lease, revision: number, sent: number): 'renewed' {
    lease.revision = revision;
    lease.validUntil = sent + this.timings.leaseTtlMs - this.timings.marginMs;
    lease.unanswered = undefined;
    return 'renewed';
  }

  /**
   * The key's current value as some replica has it, to recognise our own write after a lost answer:
   * null when the key is free, undefined when the bucket did not answer.
   */
  private async read(partition: number): Promise<(LeaseValue & { revision: number }) | null | undefined> {
    try {
      const e = await this.kv.get(leaseKey(partition));
      if (!e || e.operation !== 'PUT') return null;
      return { ...e.json<LeaseValue>(), revision: e.revision };
    } catch {
      return undefined;
    }
  }
}

const isWrongLastSequence = (err: unknown): boolean =>
  err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
