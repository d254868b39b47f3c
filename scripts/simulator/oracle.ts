import { RETENTION_MAX_BUCKETS } from '../../src/protocol/index.js';
import { stepBuckets } from '../../src/shard/insights/coverage.js';
import { DEFAULT_INSIGHTS, progressOf, type InsightsConfig, type Progress } from '../../src/shard/insights/progress.js';
import { applyClassified, classify, EMPTY_PAIR, LATE, type PairState } from '../../src/shard/watch-rule.js';
import { SeriesTruth } from './series-truth.js';
import type { Heartbeat } from './viewers.js';

export interface PairTruth {
  state: PairState;
  /**
   * Attempts that failed without a clear "not stored" (503 after a timeout, a dropped connection)
   * and were retried: each may have been applied once more, as a duplicate. A duplicate of the
   * pair's latest position adds no watch time and moves nothing, but counts as an event (and, with
   * a ts, as a late event), so the service's `events` lies in [state.events, state.events +
   * maybeDuplicates].
   */
  maybeDuplicates: number;
  /** The user's update counter when this pair was last updated (late events do not update): recency. */
  seq: number;
  /** Retention buckets this pair's counted steps have covered (§5.3). */
  covered: Set<number>;
}

export interface UserTruth {
  /** Sum of the gains of this user's events, in the order they were acknowledged. */
  watchTime: number;
  pairs: Map<string, PairTruth>;
  /** Updates so far (orders the pairs by recency). */
  updates: number;
}

export interface MovieTruth {
  /** Sum of the gains of this movie's events, in acknowledgement order (the service's order may differ across users). */
  watchTime: number;
  viewers: number;
  /** Distinct users per retention bucket. */
  retention: number[];
}

export interface ContinueTruth {
  slug: string;
  title: string | null;
  resumeAt: number;
  progress: number;
  duration: number;
  /** recency: higher is more recent */
  seq: number;
}

/**
 * Ground truth: CONTRACT §3 and §5 applied to every event the service acknowledged with 200,
 * through the service's own pure functions (the rule's classify + applyClassified, the retention
 * bucket range stepBuckets, progressOf), in acknowledgement order. The simulator sends a viewer's
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
  /** Watch time and events per minute of receive time, per movie and overall (§5.4). */
  readonly series = new SeriesTruth();
  /** The metadata the service holds once the catalogue is loaded (set by the simulator). */
  catalogue = new Map<string, { duration: number; title: string | null }>();
  acknowledged = 0;
  lateEvents = 0;

  constructor(
    readonly maxStep: number,
    readonly insights: InsightsConfig = DEFAULT_INSIGHTS,
  ) {}

  /**
   * The service answered 200 for `e`. `receivedAt` feeds `updatedAt` (not compared) and, with
   * `sentAt` (when the request was first sent), the series minute: the service received it
   * between the two, so the minute is known when both fall in the same one.
   */
  acknowledge(e: Heartbeat, receivedAt = Date.now(), sentAt = receivedAt): void {
    const pair = this.pairOf(e.user, e.slug);
    const movie = this.movies.get(e.slug)!;
    if (pair.state.events === 0) movie.viewers++;
    const prev = pair.state;
    const ts = e.ts ?? NaN;
    const step = classify(prev, e.at, this.maxStep, ts);
    pair.state = applyClassified(prev, step, e.at, receivedAt, ts);
    // The same increment the service adds to its user and movie totals (after - before, not d).
    const gained = pair.state.watchTime - prev.watchTime;
    if (gained !== 0) {
      this.users.get(e.user)!.watchTime += gained;
      movie.watchTime += gained;
    }
    if (step === LATE) this.lateEvents++;
    else pair.seq = ++this.users.get(e.user)!.updates;
    if (step > 0) {
      const [lo, hi] = stepBuckets(prev.at, e.at, this.insights.retentionBucketS);
      for (let b = lo; b < hi; b++) {
        if (pair.covered.has(b)) continue;
        pair.covered.add(b);
        movie.retention[b] = (movie.retention[b] ?? 0) + 1;
      }
    }
    this.series.add(e.slug, sentAt, receivedAt, gained);
    this.acknowledged++;
  }

  /** An attempt carrying `e` failed in a way that may still have stored it; it will be retried. */
  maybeApplied(e: Heartbeat): void {
    this.pairOf(e.user, e.slug).maybeDuplicates++;
    this.series.maybeExtra(e.slug);
  }

  /** `e` was given up: the service may or may not hold it, so its pair, user and movie are not checked. */
  lost(e: Heartbeat): void {
    this.uncertainUsers.add(e.user);
    this.uncertainMovies.add(e.slug);
    let slugs = this.uncertainPairs.get(e.user);
    if (!slugs) this.uncertainPairs.set(e.user, (slugs = new Set()));
    slugs.add(e.slug);
    this.series.lost(e.slug);
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

  /** §5.2 fields of a pair under the final catalogue; null without a duration. */
  progress(slug: string, state: PairState): Progress | null {
    const meta = this.catalogue.get(slug);
    return meta ? progressOf(state.at, state.furthest, meta.duration, this.insights) : null;
  }

  /** Viewers of `slug` whose pair is completed; undefined without a duration. */
  completions(slug: string): number | undefined {
    if (!this.catalogue.has(slug)) return undefined;
    let n = 0;
    for (const u of this.users.values()) {
      const p = u.pairs.get(slug);
      if (p && p.state.events > 0 && this.progress(slug, p.state)!.completed) n++;
    }
    return n;
  }

  /** The retention curve the service should answer: per-bucket counts, padded to the duration's buckets. */
  retention(slug: string): number[] {
    const counts = this.movies.get(slug)?.retention ?? [];
    const out = Array.from({ length: counts.length }, (_, i) => counts[i] ?? 0);
    const meta = this.catalogue.get(slug);
    if (meta) {
      const length = Math.min(Math.ceil(meta.duration / this.insights.retentionBucketS), RETENTION_MAX_BUCKETS);
      while (out.length < length) out.push(0);
    }
    return out;
  }

  /** The user's continue-watching list (§5.2), most recent first (the service breaks same-ms ties by slug). */
  continueWatching(user: string): ContinueTruth[] {
    const out: ContinueTruth[] = [];
    for (const [slug, p] of this.users.get(user)?.pairs ?? []) {
      if (p.state.events === 0) continue;
      const meta = this.catalogue.get(slug);
      const pr = this.progress(slug, p.state);
      if (!meta || !pr || pr.completed || !(pr.resumeAt > 0)) continue;
      out.push({ slug, title: meta.title, resumeAt: pr.resumeAt, progress: pr.progress, duration: meta.duration, seq: p.seq });
    }
    return out.sort((a, b) => b.seq - a.seq);
  }

  get pairCount(): number {
    let n = 0;
    for (const u of this.users.values()) for (const p of u.pairs.values()) if (p.state.events > 0) n++;
    return n;
  }

  private pairOf(user: string, slug: string): PairTruth {
    let u = this.users.get(user);
    if (!u) this.users.set(user, (u = { watchTime: 0, pairs: new Map(), updates: 0 }));
    if (!this.movies.has(slug)) this.movies.set(slug, { watchTime: 0, viewers: 0, retention: [] });
    let p = u.pairs.get(slug);
    if (!p) u.pairs.set(slug, (p = { state: EMPTY_PAIR, maybeDuplicates: 0, seq: 0, covered: new Set() }));
    return p;
  }
}
