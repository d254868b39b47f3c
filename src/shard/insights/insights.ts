import { ConfigError } from '../../config.js';
import { grown } from '../columns.js';
import type { PairTable } from '../pair-table.js';
import { CoverageTable, stepBuckets, type CoverageSnapshot } from './coverage.js';
import type { MovieCatalogueFields, PairProgress, SeriesPoint } from '../../protocol/index.js';
import { completeThreshold, progressOf, type InsightsConfig } from './progress.js';
import { MovieRetention } from './retention.js';
import { MINUTE_MS, TimeSeries, type SeriesSizes, type SeriesSnapshot } from './series.js';

export interface MovieMeta {
  duration: number;
  title: string | null;
}

export interface InsightsSnapshot {
  bucketSeconds: number;
  /** flat [slug, duration, title | null, ...] */
  catalogue: (string | number | null)[];
  coverage: CoverageSnapshot;
  retention: { lengths: Uint32Array; counts: Uint32Array };
  minutes: SeriesSnapshot;
  hours: SeriesSnapshot;
}

/** The stored retention was counted with another RETENTION_BUCKET_S: refuse, like a changed SHARDS. */
export class BucketSizeChanged extends ConfigError {
  override name = 'BucketSizeChanged';
}

/**
 * A shard's viewer-insights state (CONTRACT §5.2–§5.4), kept beside ShardState's columns and
 * updated by the same apply, so the log and snapshots rebuild it:
 *
 * - the catalogue (duration, title per slug name: a movie's metadata exists on every shard, with
 *   or without events there);
 * - per movie id: duration, completion threshold, completions (pairs whose furthest reached the
 *   threshold), and the head of a chain of the movie's pairs (per pair: movieNext), walked only
 *   when a PUT sets or changes the duration, so completions stay exact without a scan per query;
 * - per pair: the retention buckets it counted (CoverageTable); per movie: distinct viewers per
 *   bucket (MovieRetention);
 * - minute and hour series per movie and overall (SeriesTable, key 0 = overall, movie + 1).
 */
export class Insights {
  readonly catalogue = new Map<string, MovieMeta>();
  private duration: Float64Array = new Float64Array(1024).fill(NaN);
  private threshold: Float64Array = new Float64Array(1024).fill(Infinity);
  private completions: Uint32Array = new Uint32Array(1024);
  private head: Int32Array = new Int32Array(1024).fill(-1);
  private movieNext: Int32Array = new Int32Array(1024);
  private coverage: CoverageTable;
  private retention = new MovieRetention();
  private timeSeries = new TimeSeries();

  constructor(
    readonly config: InsightsConfig,
    /** The shard's pairs (read for recounts; the coverage keeps its first slot in their rows). */
    private readonly pairs: PairTable,
  ) {
    this.coverage = new CoverageTable(pairs, this.retention);
  }

  /** A movie id the shard just created for `slug`: takes its metadata if the catalogue has it. */
  movieAdded(movie: number, slug: string): void {
    if (movie >= this.head.length) {
      const cap = Math.max(movie + 1, this.head.length * 2);
      this.duration = grown(this.duration, cap, NaN);
      this.threshold = grown(this.threshold, cap, Infinity);
      this.completions = grown(this.completions, cap);
      this.head = grown(this.head, cap, -1);
    }
    const meta = this.catalogue.get(slug);
    if (meta) this.setDuration(movie, meta.duration);
  }

  /** A pair the shard just created: joins its movie's chain. */
  pairAdded(pair: number, movie: number): void {
    if (pair >= this.movieNext.length) this.movieNext = grown(this.movieNext, Math.max(pair + 1, this.movieNext.length * 2));
    this.movieNext[pair] = this.head[movie]!;
    this.head[movie] = pair;
  }

  /**
   * One applied heartbeat: `step` is classify's answer (LATE < 0, else the watch time it added),
   * from position `prevAt` to `position`; furthest went from `prevFurthest` to `furthest`.
   */
  applied(pair: number, movie: number, step: number, prevAt: number, position: number, prevFurthest: number, furthest: number, receivedAt: number): void {
    const threshold = this.threshold[movie]!;
    if (prevFurthest < threshold && furthest >= threshold) this.completions[movie]!++;
    const gained = step > 0 ? step : 0;
    if (gained > 0) {
      const [lo, hi] = stepBuckets(prevAt, position, this.config.retentionBucketS);
      if (lo < hi) this.coverage.cover(pair, movie, lo, hi);
    }
    const minute = Math.floor(receivedAt / MINUTE_MS);
    this.timeSeries.add(0, minute, gained);
    this.timeSeries.add(movie + 1, minute, gained);
  }

  /**
   * A movie record (PUT /movies/{slug}): stores the metadata; if the shard has the movie, sets
   * its duration and recounts its completions along its chain of pairs (once per PUT).
   */
  putMovie(slug: string, movie: number | undefined, meta: MovieMeta): void {
    this.catalogue.set(slug, meta);
    if (movie !== undefined) {
      this.setDuration(movie, meta.duration);
      this.recount(movie);
    }
  }

  private setDuration(movie: number, duration: number): void {
    this.duration[movie] = duration;
    this.threshold[movie] = completeThreshold(duration, this.config.completeRatio);
  }

  private recount(movie: number): void {
    const threshold = this.threshold[movie]!;
    let n = 0;
    for (let pair = this.head[movie]!; pair >= 0; pair = this.movieNext[pair]!) if (this.pairs.furthest(pair) >= threshold) n++;
    this.completions[movie] = n;
  }

  durationOf(movie: number): number {
    return this.duration[movie]!;
  }

  /** progress, completed, resumeAt of a pair of `movie`; null without a duration. */
  progress(movie: number, at: number, furthest: number): PairProgress | null {
    const duration = this.duration[movie]!;
    return duration === duration ? progressOf(at, furthest, duration, this.config) : null;
  }

  /** completions (with a duration) and the metadata of a slug (movie: its id here, if any). */
  movieFields(slug: string, movie: number | undefined): MovieCatalogueFields {
    const out: MovieCatalogueFields = {};
    const meta = this.catalogue.get(slug);
    if (meta?.title != null) out.title = meta.title;
    if (meta) out.duration = meta.duration;
    if (movie !== undefined && this.duration[movie] === this.duration[movie]) out.completions = this.completions[movie]!;
    return out;
  }

  retentionBuckets(movie: number): number[] {
    return this.retention.buckets(movie);
  }

  /** Non-empty buckets of a movie (or all, movie undefined) overlapping [fromMs, toMs]. */
  series(step: 'minute' | 'hour', movie: number | undefined, fromMs: number, toMs: number): SeriesPoint[] {
    return this.timeSeries.range(step, movie === undefined ? 0 : movie + 1, fromMs, toMs);
  }

  /** Non-empty buckets held in the series, for the memory figures. */
  sizes(): SeriesSizes {
    return this.timeSeries.sizes();
  }

  snapshot(movies: number): InsightsSnapshot {
    const catalogue: (string | number | null)[] = [];
    for (const [slug, meta] of this.catalogue) catalogue.push(slug, meta.duration, meta.title);
    return {
      bucketSeconds: this.config.retentionBucketS,
      catalogue,
      coverage: this.coverage.snapshot(),
      retention: this.retention.snapshot(movies),
      ...this.timeSeries.snapshot(movies + 1),
    };
  }

  /**
   * Rebuilds from a snapshot (or, for a v1 snapshot, from nothing: no catalogue, no retention or
   * series before the upgrade) and the restored pairs: the movie chains, durations and
   * completions are derived again, so a changed COMPLETE_RATIO applies on restart.
   */
  static restore(s: InsightsSnapshot | null, config: InsightsConfig, slugs: readonly string[], pairs: PairTable): Insights {
    const ins = new Insights(config, pairs);
    if (s) {
      if (s.bucketSeconds !== config.retentionBucketS) {
        throw new BucketSizeChanged(
          `RETENTION_BUCKET_S is ${config.retentionBucketS} but the stored retention counts ${s.bucketSeconds}-second buckets; start with RETENTION_BUCKET_S=${s.bucketSeconds}`,
        );
      }
      for (let i = 0; i + 2 < s.catalogue.length; i += 3) {
        ins.catalogue.set(s.catalogue[i] as string, { duration: s.catalogue[i + 1] as number, title: s.catalogue[i + 2] as string | null });
      }
      ins.retention = MovieRetention.restore(s.retention);
      ins.coverage = CoverageTable.restore(s.coverage, pairs, ins.retention);
      ins.timeSeries = TimeSeries.restore(s);
    }
    slugs.forEach((slug, movie) => ins.movieAdded(movie, slug));
    for (let pair = pairs.count - 1; pair >= 0; pair--) ins.pairAdded(pair, pairs.slug(pair));
    for (let movie = 0; movie < slugs.length; movie++) if (ins.duration[movie] === ins.duration[movie]) ins.recount(movie);
    return ins;
  }
}
