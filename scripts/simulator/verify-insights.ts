import { pathOf } from './http-client.js';
import type { Oracle, PairTruth } from './oracle.js';
import { ALL, STEP_MS, type Bucket, type Step } from './series-truth.js';
import { close, MOVIE_RELATIVE_TOLERANCE, show, type Checker } from './check.js';
import type { VerifyReport } from './verify.js';

/** What the insights checks covered. */
export interface InsightsCounts {
  /** false: a --v1 run, nothing of §5 was read */
  checked: boolean;
  movies: number;
  retention: number;
  series: number;
  continueWatching: number;
  completions: number;
  lateEvents: number;
  progressPairs: number;
  overallSeries: string;
}

/**
 * The overall series (GET /series) before the run, by bucket start: the run's buckets are then
 * compared as the difference. `exclusive`: nothing else sends events to the service meanwhile, so
 * the difference must be exactly the run's; otherwise it must be at least the run's.
 */
export interface SeriesBaseline {
  minute: Map<number, Bucket>;
  hour: Map<number, Bucket>;
  exclusive: boolean;
}

const num = (a: unknown, e: unknown): boolean => typeof a === 'number' && close(a, e as number, MOVIE_RELATIVE_TOLERANCE);

/**
 * §5.1 and §5.2 fields of a pair body (`full`: GET /users/{u}/movies/{s}, which also has
 * lateEvents; else /latest): progress, completed and resumeAt from the same progressOf as the
 * service under the final catalogue, absent without a duration.
 */
export function pairInsights(
  ctx: Checker,
  what: string,
  body: Record<string, unknown>,
  oracle: Oracle,
  slug: string,
  truth: PairTruth,
  full: boolean,
  counts: InsightsCounts,
): void {
  const p = oracle.progress(slug, truth.state);
  ctx.expect(what, 'progress', body, p?.progress);
  ctx.expect(what, 'completed', body, p?.completed);
  ctx.expect(what, 'resumeAt', body, p?.resumeAt);
  if (!full) return;
  if (p) counts.progressPairs++;
  const late = body.lateEvents;
  const want = truth.state.lateEvents;
  counts.lateEvents += want;
  // A retry applied twice is a repeated heartbeat when it carries ts: a late event more.
  if (typeof late !== 'number' || late < want || late > want + truth.maybeDuplicates) {
    ctx.mismatch(`${what}: lateEvents expected ${truth.maybeDuplicates ? `${want}..${want + truth.maybeDuplicates}` : want}, got ${show(late)}`);
  }
}

/** Checks of movies (metadata, completions), retention curves, series and continue-watching lists. */
export function insightsChecks(ctx: Checker, oracle: Oracle, report: VerifyReport, baseline: SeriesBaseline | null): (() => Promise<void>)[] {
  const counts = report.insights;
  const checks: (() => Promise<void>)[] = [];
  const span = oracle.series.span();
  const slugs = new Set([...oracle.movies.keys(), ...oracle.catalogue.keys()]);
  for (const slug of slugs) {
    if (oracle.uncertainMovies.has(slug)) continue;
    const truth = oracle.movie(slug);
    const meta = oracle.catalogue.get(slug);
    if (!truth && !meta) continue;
    counts.movies++;
    checks.push(async () => {
      const what = `movie ${show(slug)} (GET /movies/{slug})`;
      const body = await ctx.read(pathOf('movies', slug), what);
      if (!body) return;
      ctx.expect(what, 'slug', body, slug);
      ctx.expect(what, 'title', body, meta?.title ?? undefined);
      ctx.expect(what, 'duration', body, meta?.duration);
      ctx.expect(what, 'viewers', body, truth?.viewers ?? 0);
      ctx.expect(what, 'watchTime', body, truth?.watchTime ?? 0, num);
      const completions = oracle.completions(slug);
      ctx.expect(what, 'completions', body, completions);
      counts.completions += completions ?? 0;
    });
    counts.retention++;
    checks.push(async () => {
      const what = `retention ${show(slug)}`;
      const body = await ctx.read(pathOf('movies', slug, 'retention'), what);
      if (!body) return;
      ctx.expect(what, 'slug', body, slug);
      ctx.expect(what, 'bucketSeconds', body, oracle.insights.retentionBucketS);
      ctx.expect(what, 'viewers', body, truth?.viewers ?? 0);
      const want = oracle.retention(slug);
      const got = body.buckets;
      if (!Array.isArray(got) || got.length !== want.length || got.some((n, i) => n !== want[i])) {
        const i = Array.isArray(got) ? want.findIndex((n, j) => got[j] !== n) : -1;
        ctx.mismatch(
          `${what}: buckets expected ${want.length} entries, got ${Array.isArray(got) ? got.length : show(got)}` +
            (i >= 0 && Array.isArray(got) ? `; first difference at bucket ${i}: expected ${want[i]}, got ${show(got[i])}` : ''),
        );
      }
    });
    if (truth && span && !oracle.series.isLost(slug)) {
      for (const step of ['minute', 'hour'] as const) {
        counts.series++;
        checks.push(async () => {
          const what = `series ${show(slug)} by ${step}`;
          const got = await readSeries(ctx, `${pathOf('movies', slug, 'series')}?${rangeQuery(step, span)}`, what);
          if (got) for (const p of oracle.series.check(slug, step, got, true, MOVIE_RELATIVE_TOLERANCE)) ctx.mismatch(`${what}: ${p}`);
        });
      }
    }
  }
  for (const user of oracle.users.keys()) {
    if (oracle.uncertainUsers.has(user) || !oracle.user(user)) continue;
    counts.continueWatching++;
    checks.push(() => checkContinueWatching(ctx, oracle, user));
  }
  if (baseline && span) {
    if (oracle.series.isLost(ALL)) counts.overallSeries = 'not checked (events given up)';
    else {
      counts.overallSeries = baseline.exclusive ? 'compared exactly (--exclusive)' : 'compared as at least this run (other traffic may add)';
      for (const step of ['minute', 'hour'] as const) {
        checks.push(async () => {
          const what = `overall series (GET /series) by ${step}`;
          const after = await readSeries(ctx, `/series?${rangeQuery(step, span)}`, what);
          if (!after) return;
          const diff = new Map<number, Bucket>();
          for (const [t, b] of after) {
            const before = baseline[step].get(t) ?? { watchTime: 0, events: 0 };
            diff.set(t, { watchTime: b.watchTime - before.watchTime, events: b.events - before.events });
          }
          for (const p of oracle.series.check(ALL, step, diff, baseline.exclusive, MOVIE_RELATIVE_TOLERANCE)) ctx.mismatch(`${what}: ${p}`);
        });
      }
    }
  }
  return checks;
}

/** from/to covering the run's buckets at `step` (whole buckets). */
function rangeQuery(step: Step, span: { first: number; last: number }): string {
  const ms = STEP_MS[step];
  const from = Math.floor(span.first / ms) * ms;
  const to = (Math.floor(span.last / ms) + 1) * ms;
  return `step=${step}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
}

/** GET of a series as bucket start (ms) -> bucket, checking its shape. */
export async function readSeries(ctx: Checker, path: string, what: string): Promise<Map<number, Bucket> | null> {
  const body = await ctx.read(path, what);
  if (!body) return null;
  const items = body.items;
  if (!Array.isArray(items)) {
    ctx.mismatch(`${what}: items is not an array: ${show(items)}`);
    return null;
  }
  const out = new Map<number, Bucket>();
  let last = -Infinity;
  for (const item of items as Record<string, unknown>[]) {
    const t = Date.parse(String(item.t));
    if (!(t > last)) ctx.mismatch(`${what}: items not ordered by t at ${show(item.t)}`);
    last = t;
    if (typeof item.watchTime !== 'number' || typeof item.events !== 'number' || item.events <= 0) ctx.mismatch(`${what}: bad item ${JSON.stringify(item)}`);
    out.set(t, { watchTime: Number(item.watchTime), events: Number(item.events) });
  }
  return out;
}

/**
 * GET /users/{user}/continue-watching with limit=1000 (all of them here) and with the default
 * limit (20): the same items as the oracle's list, with the same values; ordered by the service's
 * updatedAt (desc, ties by slug), which must agree with the order the oracle saw the updates in
 * wherever two updatedAt differ; the default answer is the first 20 of the full one.
 */
async function checkContinueWatching(ctx: Checker, oracle: Oracle, user: string): Promise<void> {
  const what = `continue-watching ${show(user)}`;
  const full = await ctx.read(`${pathOf('users', user, 'continue-watching')}?limit=1000`, what);
  if (!full) return;
  ctx.expect(what, 'user', full, user);
  const items = Array.isArray(full.items) ? (full.items as Record<string, unknown>[]) : [];
  const truth = oracle.continueWatching(user);
  const bySlug = new Map(truth.map((c) => [c.slug, c]));
  const got = new Set(items.map((i) => i.slug));
  for (const c of truth) if (!got.has(c.slug)) ctx.mismatch(`${what}: missing ${show(c.slug)} (resumeAt ${c.resumeAt}, progress ${c.progress})`);
  items.forEach((item, i) => {
    const c = bySlug.get(item.slug as string);
    if (!c) {
      ctx.mismatch(`${what}: unexpected item ${JSON.stringify(item).slice(0, 200)}`);
      return;
    }
    const w = `${what} item ${show(c.slug)}`;
    ctx.expect(w, 'resumeAt', item, c.resumeAt);
    ctx.expect(w, 'progress', item, c.progress);
    ctx.expect(w, 'duration', item, c.duration);
    ctx.expect(w, 'title', item, c.title ?? undefined);
    const next = items[i + 1];
    const nc = next && bySlug.get(next.slug as string);
    if (!next || !nc) return;
    const [a, b] = [Date.parse(String(item.updatedAt)), Date.parse(String(next.updatedAt))];
    if (a < b || (a === b && String(item.slug) >= String(next.slug)))
      ctx.mismatch(`${what}: ${show(c.slug)} is listed before ${show(nc.slug)} against updatedAt/slug order`);
    else if (a > b && c.seq < nc.seq) ctx.mismatch(`${what}: ${show(c.slug)} has a later updatedAt than ${show(nc.slug)}, which was updated after it`);
  });
  const short = await ctx.read(pathOf('users', user, 'continue-watching'), `${what} (default limit)`);
  if (short && JSON.stringify(short.items) !== JSON.stringify(items.slice(0, 20)))
    ctx.mismatch(`${what}: the default answer is not the first 20 items of the full one`);
}
