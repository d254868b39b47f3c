import type { KV } from '@nats-io/kv';
import type { Timings } from './timings.js';

/** A live member (a shard process of some host) as it registers itself. */
export interface Member {
  id: string;
  /** Where its front or request/reply endpoint is reached (phase 2 fills it). */
  address: string;
  /** Wall-clock ms when it joined. */
  since: number;
  /** The host (NODE_ID) it runs on, and its shard index there (phase 2's shard processes). */
  node?: string;
  shard?: number;
  /** HOST:PORT of its host's HTTP front. */
  http?: string;
  /** Partitions it has loaded and serves now (a lease alone may still be loading). */
  serving?: number[];
  /** Its last balance left it holding exactly its share (false while it still takes or hands over). */
  balanced?: boolean;
}

/**
 * Registration in a KV bucket whose TTL drops members that stop heartbeating. Expiry is silent on
 * 2.10 (no delete marker to watchers), so readers list the keys instead of watching.
 */
export class Members {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KV,
    readonly self: Member,
    private readonly timings: Timings,
  ) {}

  /** Registers and keeps the registration alive until leave(). */
  async join(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => {}), this.timings.heartbeatEveryMs);
    this.timer.unref();
  }

  /** Changes what this member advertises (e.g. the partitions it serves) and publishes it now. */
  async update(change: Partial<Member>): Promise<void> {
    Object.assign(this.self, change);
    if (this.timer) await this.beat();
  }

  async leave(): Promise<void> {
    this.stop();
    await this.kv.delete(this.self.id).catch(() => {});
  }

  /** Stops heartbeating without leaving: the registration expires after the TTL (as after a crash). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Members alive as far as some replica knows, sorted by id. */
  async list(): Promise<Member[]> {
    // keys() reads the bucket through a consumer: a member that heartbeats while it runs can be
    // delivered twice (seen in CI: ['host-a', 'host-a']), so the keys are a set.
    const keys = new Set<string>();
    for await (const k of await this.kv.keys()) keys.add(k);
    const out: Member[] = [];
    for (const e of await Promise.all([...keys].map((k) => this.kv.get(k)))) {
      if (e && e.operation === 'PUT') out.push(e.json<Member>());
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async beat(): Promise<void> {
    await this.kv.put(this.self.id, JSON.stringify(this.self));
  }
}
