import { applyHeartbeat, EMPTY_PAIR, type PairState } from '../../src/shard/watch-rule.js';
import type { Heartbeat } from './viewers.js';

export interface PairTruth {
  state: PairState;
  /**
   * Attempts that failed without a clear "not stored" (503 after a timeout, a dropped connection)
   * and were retried: each may have been applied once more, as a duplicate. A duplicate of the
   * pair's latest position adds no watch time and moves nothing, but counts as an event, so the
   * service's `events` lies in [state.events, state.events + maybeDuplicates].
   */
  maybeDuplicates: number;
}

export interface UserTruth {
  /** Sum of the gains of this user's events, in the order they were acknowledged. */
  watchTime: number;
  pairs: Map<string, PairTruth>;
}

export interface MovieTruth {
  /** Sum of the gains of this movie's events, in acknowledgement order (the service's order may differ across users). */
  watchTime: number;
  viewers: number;
}

/**
 * Ground truth: CONTRACT §3 applied to every event the service acknowledged with 200, through the
 * service's own rule (`applyHeartbeat`), in acknowledgement order. The simulator sends a viewer's
 * next event only after the previous one is acknowledged, so for each pair and each user this is
 * exactly the order the service applied them in; only across users (movie totals) may it differ.
 */
export class Oracle {
  readonly users = new Map<string, UserTruth>();
  readonly movies = new Map<string, MovieTruth>();
  /** Users, movies and pairs with an event whose fate is unknown (given up after retries). */
  readonly uncertainUsers = new Set<string>();
  readonly uncertainMovies = new Set<string>();
  readonly uncertainPairs = new Map<string, Set<string>>();
  acknowledged = 0;

  constructor(readonly maxStep: number) {}

  /** The service answered 200 for `e`: apply it. `receivedAt` only feeds `updatedAt`, which is not compared. */
  acknowledge(e: Heartbeat, receivedAt = Date.now()): void {
    const pair = this.pairOf(e.user, e.slug);
    if (pair.state.events === 0) this.movies.get(e.slug)!.viewers++;
    const before = pair.state.watchTime;
    pair.state = applyHeartbeat(pair.state, e.at, receivedAt, this.maxStep);
    // The same increment the service adds to its user and movie totals (after - before, not d).
    const gained = pair.state.watchTime - before;
    if (gained !== 0) {
      this.users.get(e.user)!.watchTime += gained;
      this.movies.get(e.slug)!.watchTime += gained;
    }
    this.acknowledged++;
  }

  /** An attempt carrying `e` failed in a way that may still have stored it; it will be retried. */
  maybeApplied(e: Heartbeat): void {
    this.pairOf(e.user, e.slug).maybeDuplicates++;
  }

  /** `e` was given up: the service may or may not hold it, so its pair, user and movie are not checked. */
  lost(e: Heartbeat): void {
    this.uncertainUsers.add(e.user);
    this.uncertainMovies.add(e.slug);
    let slugs = this.uncertainPairs.get(e.user);
    if (!slugs) this.uncertainPairs.set(e.user, (slugs = new Set()));
    slugs.add(e.slug);
  }

  isUncertainPair(user: string, slug: string): boolean {
    return this.uncertainPairs.get(user)?.has(slug) ?? false;
  }

  /** The truth for a pair, or undefined if it has no acknowledged event. */
  pair(user: string, slug: string): PairTruth | undefined {
    const p = this.users.get(user)?.pairs.get(slug);
    return p && p.state.events > 0 ? p : undefined;
  }

  /** A user's total and number of pairs, counting only pairs with an acknowledged event. */
  user(user: string): { watchTime: number; movies: number } | undefined {
    const u = this.users.get(user);
    if (!u) return undefined;
    let movies = 0;
    for (const p of u.pairs.values()) if (p.state.events > 0) movies++;
    return movies > 0 ? { watchTime: u.watchTime, movies } : undefined;
  }

  movie(slug: string): MovieTruth | undefined {
    const m = this.movies.get(slug);
    return m && m.viewers > 0 ? m : undefined;
  }

  get pairCount(): number {
    let n = 0;
    for (const u of this.users.values()) for (const p of u.pairs.values()) if (p.state.events > 0) n++;
    return n;
  }

  private pairOf(user: string, slug: string): PairTruth {
    let u = this.users.get(user);
    if (!u) this.users.set(user, (u = { watchTime: 0, pairs: new Map() }));
    let m = this.movies.get(slug);
    if (!m) this.movies.set(slug, (m = { watchTime: 0, viewers: 0 }));
    let p = u.pairs.get(slug);
    if (!p) u.pairs.set(slug, (p = { state: EMPTY_PAIR, maybeDuplicates: 0 }));
    return p;
  }
}
