import { applyHeartbeat, EMPTY_PAIR, type PairState } from '../../src/shard/watch-rule.js';

export interface Heartbeat {
  user: string;
  slug: string;
  at: number;
}

export interface PairTruth {
  state: PairState;
  /** The service stamps `updatedAt` when it receives the request that carried the pair's last event: within these bounds (ms). */
  updatedFrom: number;
  updatedTo: number;
}

/**
 * The exact truth of CONTRACT §3 over acknowledged requests, through the service's own rule
 * (`applyHeartbeat`, no second copy). Callers acknowledge a pair's requests in the order the
 * service applied them: each pair (and each user) must have at most one request in flight.
 * Movie totals are sums over users in another order; callers keep positions dyadic (multiples of
 * 1/4 below 2^40), so every such sum is exact in float64 whatever the order.
 */
export class Oracle {
  readonly pairs = new Map<string, Map<string, PairTruth>>();
  readonly users = new Map<string, number>();
  readonly movies = new Map<string, { watchTime: number; viewers: number }>();
  requests = 0;
  events = 0;

  constructor(readonly maxStep: number) {}

  /** A request answered 200: its events, in order. It was received between `sentAt` and `ackedAt`. */
  acknowledge(events: readonly Heartbeat[], sentAt: number, ackedAt: number): void {
    this.requests++;
    for (const e of events) {
      let slugs = this.pairs.get(e.user);
      if (!slugs) this.pairs.set(e.user, (slugs = new Map<string, PairTruth>()));
      let pair = slugs.get(e.slug);
      let movie = this.movies.get(e.slug);
      if (!movie) this.movies.set(e.slug, (movie = { watchTime: 0, viewers: 0 }));
      if (!pair) {
        slugs.set(e.slug, (pair = { state: EMPTY_PAIR, updatedFrom: 0, updatedTo: 0 }));
        movie.viewers++;
      }
      const before = pair.state.watchTime;
      pair.state = applyHeartbeat(pair.state, e.at, ackedAt, this.maxStep);
      pair.updatedFrom = sentAt;
      pair.updatedTo = ackedAt;
      const gained = pair.state.watchTime - before;
      this.users.set(e.user, (this.users.get(e.user) ?? 0) + gained);
      movie.watchTime += gained;
      this.events++;
    }
  }

  pair(user: string, slug: string): PairTruth | undefined {
    return this.pairs.get(user)?.get(slug);
  }
}
