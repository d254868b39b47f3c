/**
 * The idempotency keys of recently applied requests, with what each was answered: a retried
 * request that was in fact stored is answered again instead of applied twice. Bounded by age (by
 * the requests' receive times, so a replay rebuilds the same window) and by count.
 */
export class RecentRequests {
  /** key → [accepted, receivedAt], oldest first (Map keeps insertion order). */
  private readonly byKey = new Map<string, [number, number]>();

  constructor(
    readonly windowMs: number,
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** The accepted count a request with this key was answered with, if it is still remembered. */
  accepted(key: string): number | undefined {
    return this.byKey.get(key)?.[0];
  }

  remember(key: string, accepted: number, receivedAt: number): void {
    this.byKey.set(key, [accepted, receivedAt]);
    for (const [oldest, [, at]] of this.byKey) {
      if (this.byKey.size <= this.maxKeys && at >= receivedAt - this.windowMs) break;
      this.byKey.delete(oldest);
    }
  }

  /** Flat [key, accepted, receivedAt, ...] for a snapshot. */
  entries(): (string | number)[] {
    const out: (string | number)[] = [];
    for (const [key, [accepted, at]] of this.byKey) out.push(key, accepted, at);
    return out;
  }

  restore(flat: (string | number)[]): void {
    for (let i = 0; i + 2 < flat.length; i += 3) this.byKey.set(flat[i] as string, [flat[i + 1] as number, flat[i + 2] as number]);
  }
}
