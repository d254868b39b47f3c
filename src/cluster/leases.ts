import { randomUUID } from 'node:crypto';
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
}

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
  constructor(
    private readonly kv: KV,
    readonly nodeId: string,
    readonly timings: Timings,
  ) {}

  /** Takes the partition if nobody holds it; null if someone does (or the answer was lost and it is not ours). */
  async acquire(partition: number): Promise<Lease | null> {
    const sent = performance.now();
    const value = this.value();
    let revision: number | null;
    try {
      revision = await this.kv.create(leaseKey(partition), JSON.stringify(value));
    } catch {
      revision = await this.ours(partition, value.nonce);
    }
    if (revision === null) return null;
    return { partition, epoch: revision, revision, validUntil: sent + this.timings.leaseTtlMs - this.timings.marginMs, owner: `${this.nodeId}/${revision}` };
  }

  /** Extends the lease by one TTL; false when it is lost (someone else's revision, or expired and retaken). */
  async renew(lease: Lease): Promise<boolean> {
    const sent = performance.now();
    const value = this.value();
    let revision: number | null;
    try {
      revision = await this.kv.update(leaseKey(lease.partition), JSON.stringify(value), lease.revision);
    } catch {
      revision = await this.ours(lease.partition, value.nonce);
    }
    if (revision === null) return false;
    lease.revision = revision;
    lease.validUntil = sent + this.timings.leaseTtlMs - this.timings.marginMs;
    return true;
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
    const keys: string[] = [];
    for await (const k of await this.kv.keys()) keys.push(k);
    for (const k of keys) {
      const e = await this.kv.get(k);
      if (!e || e.operation !== 'PUT' || !/^p\d+$/.test(k)) continue;
      out.set(Number(k.slice(1)), e.json<LeaseValue>().node);
    }
    return out;
  }

  private value(): LeaseValue {
    return { node: this.nodeId, nonce: randomUUID() };
  }

  /** After a failed or unanswered write: its revision if the key now holds our nonce, else null. */
  private async ours(partition: number, nonce: string): Promise<number | null> {
    try {
      const e = await this.kv.get(leaseKey(partition));
      if (e && e.operation === 'PUT' && e.json<LeaseValue>().nonce === nonce) return e.revision;
    } catch {
      /* unreachable: treat as not ours */
    }
    return null;
  }
}
