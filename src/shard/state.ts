import {
  compareNames,
  STEP_MS,
  type ContinueItem,
  type LatestPair,
  type MovieDetailPartial,
  type MoviePartial,
  type PairView,
  type RetentionPartial,
  type SeriesPoint,
  type SeriesStep,
  type ShardTop,
  type UserTotals,
} from '../protocol/index.js';
import { capacityFor, grown } from './columns.js';
import { bestIds } from './bounded-heap.js';
import { Insights, type InsightsSnapshot } from './insights/insights.js';
import { DEFAULT_INSIGHTS, type InsightsConfig } from './insights/progress.js';
import type { SeriesSizes } from './insights/series.js';
import { Interner } from './interner.js';
import { MovieLeaders, type MovieColumns } from './movie-leaders.js';
import { PairTable, type PairColumns } from './pair-table.js';
import { RecentRequests } from './recent-requests.js';
import { applyClassified, classify } from './watch-rule.js';

export interface StateSnapshot {
  users: string[];
  slugs: string[];
  userWatch: Float64Array;
  userMovies: Uint32Array;
  userHead: Int32Array;
  movieWatch: Float64Array;
  movieViewers: Uint32Array;
  pairs: PairColumns;
  /** RecentRequests.entries() */
  recent: (string | number)[];
  /** §5 state; absent in snapshots written before insights */
  insights?: InsightsSnapshot;
}

/**
 * The in-memory state of one shard: the actors of its users and its partial movie totals.
 *
 * A user's actor is its row (total, movie count, chain of pairs); every event for that user
 * is applied here, on the shard's single event loop, in the order the shard receives it, so a
 * user's mutations are serialised without locks. Rows live in typed-array columns rather than
 * one object per user or pair: memory is the capacity limit of this design.
 */
export class ShardState {
  private users = new Interner();
  private slugs = new Interner();
  private userWatch: Float64Array = new Float64Array(1024);
  private userMovieCount: Uint32Array = new Uint32Array(1024);
  private userHead: Int32Array = new Int32Array(1024).fill(-1);
  private movieWatch: Float64Array = new Float64Array(1024);
  private movieViewers: Uint32Array = new Uint32Array(1024);
  private pairs = new PairTable();
  private leaders = new MovieLeaders();
  private insights: Insights;

  constructor(
    readonly maxStep: number,
    /** Idempotency keys of recent requests: part of the state, so replay and snapshots keep them. */
    readonly recent = new RecentRequests(10 * 60_000, 1_000_000),
    readonly insightsConfig: InsightsConfig = DEFAULT_INSIGHTS,
  ) {
    this.insights = new Insights(insightsConfig, this.pairs);
  }

  get userCount(): number {
    return this.users.size;
  }
  get movieCount(): number {
    return this.slugs.size;
  }
  get pairCount(): number {
    return this.pairs.count;
  }
  /** The time series' allocated sizes (bench/series-size measures §5.5 with it). */
  seriesSizes(): SeriesSizes {
    return this.insights.sizes();
  }

  /** Applies one heartbeat (CONTRACT §3, §5.1) received at `receivedAt` (ms since epoch), client time `ts` (NaN: none). */
  apply(user: string, slug: string, position: number, receivedAt: number, ts = NaN): void {
    const userId = this.userIdFor(user);
    const slugId = this.slugIdFor(slug);
    const pairs = this.pairs;
    let pair = pairs.find(userId, slugId);
    if (pair < 0) {
      pair = pairs.add(userId, slugId, this.userHead[userId]!);
      this.userHead[userId] = pair;
      this.userMovieCount[userId]!++;
      this.movieViewers[slugId]!++;
      this.insights.pairAdded(pair, slugId);
    }
    const prev = pairs.read(pair);
    const step = classify(prev, position, this.maxStep, ts);
    const next = applyClassified(prev, step, position, receivedAt, ts);
    pairs.write(pair, next);
    this.insights.applied(pair, slugId, step, prev.at, position, prev.furthest, next.furthest, receivedAt);
    const gained = next.watchTime - prev.watchTime;
    if (gained !== 0) {
      this.userWatch[userId]! += gained;
      this.movieWatch[slugId]! += gained;
      this.leaders.touched(slugId, this.movieWatch, this.slugs.names);
    }
  }

  private userIdFor(user: string): number {
    const id = this.users.intern(user);
    if (id === this.userWatch.length) {
      const cap = id * 2;
      this.userWatch = grown(this.userWatch, cap);
      this.userMovieCount = grown(this.userMovieCount, cap);
      this.userHead = grown(this.userHead, cap, -1);
    }
    return id;
  }

  private slugIdFor(slug: string): number {
    const known = this.slugs.size;
    const id = this.slugs.intern(slug);
    if (id === this.movieWatch.length) {
      const cap = id * 2;
      this.movieWatch = grown(this.movieWatch, cap);
      this.movieViewers = grown(this.movieViewers, cap);
    }
    if (id === known) {
      this.leaders.touched(id, this.movieWatch, this.slugs.names);
      this.insights.movieAdded(id, slug);
    }
    return id;
  }

  /** The catalogue (§5.2): every movie's metadata, the same on every shard (read-only: for reshard). */
  catalogue(): [slug: string, duration: number, title: string | null][] {
    return [...this.insights.catalogue].map(([slug, m]) => [slug, m.duration, m.title]);
  }

  /** A movie record (§5.2 PUT): metadata for `slug`, on this shard whether or not it has its events. */
  putMovie(slug: string, duration: number, title: string | null): void {
    this.insights.putMovie(slug, this.slugs.idOf(slug), { duration, title });
  }

  user(user: string): UserTotals | null {
    const id = this.users.idOf(user);
    if (id === undefined) return null;
    return { watchTime: this.userWatch[id]!, movies: this.userMovieCount[id]! };
  }

  pair(user: string, slug: string): PairView | null {
    const userId = this.users.idOf(user);
    const slugId = this.slugs.idOf(slug);
    if (userId === undefined || slugId === undefined) return null;
    const pair = this.pairs.find(userId, slugId);
    return pair < 0 ? null : this.viewOf(pair);
  }

  /** The user's pairs, most recently updated first, ties by slug ascending; null for an unknown user. */
  userMovies(user: string, limit: number): PairView[] | null {
    const id = this.users.idOf(user);
    if (id === undefined) return null;
    const items: PairView[] = [];
    for (let pair = this.userHead[id]!; pair >= 0; pair = this.pairs.next(pair)) items.push(this.viewOf(pair));
    items.sort((a, b) => b.updatedAt - a.updatedAt || compareNames(a.slug, b.slug));
    return items.length > limit ? items.slice(0, limit) : items;
  }

  private viewOf(pair: number): PairView {
    const p = this.pairs;
    const view: PairView = {
      slug: this.slugs.names[p.slug(pair)]!,
      watchTime: p.watchTime(pair),
      at: p.at(pair),
      furthest: p.furthest(pair),
      events: p.events(pair),
      updatedAt: p.updatedAt(pair),
      lateEvents: p.lateEvents(pair),
    };
    const progress = this.insights.progress(p.slug(pair), view.at, view.furthest);
    return progress ? Object.assign(view, progress) : view;
  }

  /** This shard's partial totals for each slug it has seen (unknown slugs are left out). */
  movies(slugs: readonly string[]): MoviePartial[] {
    const out: MoviePartial[] = [];
    for (const slug of slugs) {
      const id = this.slugs.idOf(slug);
      if (id === undefined) continue;
      const partial: MoviePartial = { slug, watchTime: this.movieWatch[id]!, viewers: this.movieViewers[id]! };
      const { completions } = this.insights.movieFields(slug, id);
      out.push(completions === undefined ? partial : { ...partial, completions });
    }
    return out;
  }

  // ---- viewer insights (CONTRACT §5): this shard's partials ----

  /** A movie's partial with its metadata and completions; null when this shard knows neither. */
  movie(slug: string): MovieDetailPartial | null {
    const id = this.slugs.idOf(slug);
    const fields = this.insights.movieFields(slug, id);
    if (id === undefined && fields.duration === undefined) return null;
    return { slug, watchTime: id === undefined ? 0 : this.movieWatch[id]!, viewers: id === undefined ? 0 : this.movieViewers[id]!, ...fields };
  }

  /** Distinct users per retention bucket on this shard; null when this shard knows neither metadata nor events. */
  retention(slug: string): RetentionPartial | null {
    const id = this.slugs.idOf(slug);
    const { duration } = this.insights.movieFields(slug, id);
    if (id === undefined && duration === undefined) return null;
    const out: RetentionPartial = {
      slug,
      bucketSeconds: this.insightsConfig.retentionBucketS,
      viewers: id === undefined ? 0 : this.movieViewers[id]!,
      buckets: id === undefined ? [] : this.insights.retentionBuckets(id),
    };
    if (duration !== undefined) out.duration = duration;
    return out;
  }

  /** Non-empty buckets overlapping [from, to] (ms), of one movie or (slug null) all; null for a slug this shard knows nothing of. */
  series(slug: string | null, step: SeriesStep, from: number, to: number): SeriesPoint[] | null {
    if (STEP_MS[step] === undefined) throw new Error(`unknown series step ${JSON.stringify(step)}`);
    if (slug === null) return this.insights.series(step, undefined, from, to);
    const id = this.slugs.idOf(slug);
    if (id === undefined) return this.insights.catalogue.has(slug) ? [] : null;
    return this.insights.series(step, id, from, to);
  }

  /**
   * The user's pairs to resume (§5.2): known duration, resumeAt > 0, not completed; most recently
   * updated first, ties by slug. null for an unknown user.
   */
  continueWatching(user: string, limit: number): ContinueItem[] | null {
    const id = this.users.idOf(user);
    if (id === undefined) return null;
    const p = this.pairs;
    const items: ContinueItem[] = [];
    for (let pair = this.userHead[id]!; pair >= 0; pair = p.next(pair)) {
      const movie = p.slug(pair);
      const progress = this.insights.progress(movie, p.at(pair), p.furthest(pair));
      if (!progress || progress.completed || !(progress.resumeAt! > 0)) continue;
      const slug = this.slugs.names[movie]!;
      const item: ContinueItem = {
        slug,
        resumeAt: progress.resumeAt!,
        progress: progress.progress!,
        duration: this.insights.durationOf(movie),
        updatedAt: p.updatedAt(pair),
      };
      const title = this.insights.catalogue.get(slug)?.title;
      if (title != null) item.title = title;
      items.push(item);
    }
    items.sort((a, b) => b.updatedAt - a.updatedAt || compareNames(a.slug, b.slug));
    return items.length > limit ? items.slice(0, limit) : items;
  }

  /** The `k` best movies of this shard by partial watch time (desc, slug asc), and whether that is all of them. */
  top(k: number): ShardTop {
    const ids = this.leaders.top(k, this.movieColumns());
    const names = this.slugs.names;
    return {
      items: ids.map((id) => ({ slug: names[id]!, watchTime: this.movieWatch[id]!, viewers: this.movieViewers[id]! })),
      complete: this.slugs.size <= k,
    };
  }

  private movieColumns(): MovieColumns {
    return { count: this.slugs.size, watch: this.movieWatch, names: this.slugs.names };
  }

  /** Calls `fn` for every pair, in storage order, with its client time (§5.1; read-only: for export and reshard). */
  forEachPair(fn: (user: string, slug: string, pair: PairView, ts: number) => void): void {
    const users = this.users.names;
    const p = this.pairs;
    for (let pair = 0; pair < p.count; pair++) fn(users[p.user(pair)]!, this.slugs.names[p.slug(pair)]!, this.viewOf(pair), p.ts(pair));
  }

  /** The `n` most recently updated pairs, newest first (read-only: for the dashboard). O(pairs · log n). */
  latest(n: number): LatestPair[] {
    const p = this.pairs;
    const newest = bestIds(p.count, n, (a, b) => p.updatedAt(a) < p.updatedAt(b) || (p.updatedAt(a) === p.updatedAt(b) && a < b));
    return newest.map((pair) => ({
      user: this.users.names[p.user(pair)]!,
      slug: this.slugs.names[p.slug(pair)]!,
      at: p.at(pair),
      watchTime: p.watchTime(pair),
      updatedAt: p.updatedAt(pair),
    }));
  }

  snapshot(): StateSnapshot {
    const u = this.users.size;
    const m = this.slugs.size;
    return {
      users: this.users.names.slice(),
      slugs: this.slugs.names.slice(),
      userWatch: this.userWatch.slice(0, u),
      userMovies: this.userMovieCount.slice(0, u),
      userHead: this.userHead.slice(0, u),
      movieWatch: this.movieWatch.slice(0, m),
      movieViewers: this.movieViewers.slice(0, m),
      pairs: this.pairs.columns(),
      recent: this.recent.entries(),
      insights: this.insights.snapshot(m),
    };
  }

  static restore(s: StateSnapshot, maxStep: number, recent?: RecentRequests, insightsConfig: InsightsConfig = DEFAULT_INSIGHTS): ShardState {
    const state = new ShardState(maxStep, recent, insightsConfig);
    state.recent.restore(s.recent);
    state.users = Interner.from(s.users);
    state.slugs = Interner.from(s.slugs);
    const ucap = capacityFor(s.users.length + 1);
    const mcap = capacityFor(s.slugs.length + 1);
    state.userWatch = grown(s.userWatch, ucap);
    state.userMovieCount = grown(s.userMovies, ucap);
    state.userHead = grown(s.userHead, ucap, -1);
    state.movieWatch = grown(s.movieWatch, mcap);
    state.movieViewers = grown(s.movieViewers, mcap);
    state.pairs = PairTable.fromColumns(s.pairs);
    state.leaders = new MovieLeaders(false);
    state.insights = Insights.restore(s.insights ?? null, insightsConfig, s.slugs, state.pairs);
    return state;
  }
}
