import { close, MOVIE_RELATIVE_TOLERANCE, sameValue, show, type Checker } from './check.js';
import { type HttpClient, NetworkError, pathOf, type HttpResult } from './http-client.js';
import type { Oracle } from './oracle.js';
import { insightsChecks, pairInsights, type InsightsCounts, type SeriesBaseline } from './verify-insights.js';

export interface VerifyReport {
  /** Responses read and compared. */
  checked: number;
  mismatches: number;
  /** The first few mismatches, one line each. */
  first: string[];
  users: number;
  movies: number;
  pairs: number;
  /** Users, movies and pairs not checked because an event of theirs was given up. */
  skipped: number;
  /** Pairs with a retry after an attempt that may have been stored ... */
  retriedPairs: number;
  /** ... and of those, pairs whose `events` shows a retry applied twice (allowed without Idempotency-Key). */
  doubledPairs: number;
  /** What the viewer-insights checks covered (§5). */
  insights: InsightsCounts;
}

const FIRST_MISMATCHES = 10;

/**
 * Reads back everything the oracle knows and compares it:
 * - every user: `GET /users/{user}/watch-time`: watchTime exactly (a user's events are applied in
 *   the oracle's order, so the float64 sum is the same), movies exactly;
 * - every movie: `GET /movies/{slug}/watch-time`: viewers exactly, watchTime within
 *   MOVIE_RELATIVE_TOLERANCE (users' increments interleave differently on the shards, and shard
 *   partials are added up in another order);
 * - every pair: `GET /users/{user}/movies/{slug}`: watchTime, at, furthest exactly, events within
 *   [acknowledged, acknowledged + retried-after-ambiguous-failure]; and
 *   `GET /users/{user}/movies/{slug}/latest`: at exactly.
 */
export async function verify(
  client: HttpClient,
  oracle: Oracle,
  concurrency: number,
  { insights = true, baseline = null }: { insights?: boolean; baseline?: SeriesBaseline | null } = {},
): Promise<VerifyReport> {
  const report: VerifyReport = {
    checked: 0,
    mismatches: 0,
    first: [],
    users: 0,
    movies: 0,
    pairs: 0,
    skipped: 0,
    retriedPairs: 0,
    doubledPairs: 0,
    insights: {
      checked: insights,
      movies: 0,
      retention: 0,
      series: 0,
      continueWatching: 0,
      completions: 0,
      lateEvents: 0,
      progressPairs: 0,
      overallSeries: 'not checked',
    },
  };
  const mismatch = (what: string): void => {
    report.mismatches++;
    if (report.first.length < FIRST_MISMATCHES) report.first.push(what);
  };
  const read = async (path: string, what: string): Promise<Record<string, unknown> | null> => {
    const res = await getWithRetry(client, path);
    report.checked++;
    if (typeof res === 'string') {
      mismatch(`${what}: ${res}`);
      return null;
    }
    if (res.status !== 200) {
      mismatch(`${what}: ${res.status} ${res.body.slice(0, 200)}`);
      return null;
    }
    try {
      return JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      mismatch(`${what}: 200 with a body that is not JSON: ${res.body.slice(0, 200)}`);
      return null;
    }
  };
  const expect = (what: string, field: string, body: Record<string, unknown>, expected: unknown, same = sameValue): void => {
    const actual = body[field];
    if (!same(actual, expected)) mismatch(`${what}: ${field} expected ${show(expected)}, got ${show(actual)}`);
  };
  const ctx: Checker = { read, expect, mismatch };

  const checks: (() => Promise<void>)[] = [];
  for (const [user, u] of oracle.users) {
    const total = oracle.user(user);
    if (total && !oracle.uncertainUsers.has(user)) {
      report.users++;
      checks.push(async () => {
        const what = `user ${show(user)}`;
        const body = await read(pathOf('users', user, 'watch-time'), what);
        if (!body) return;
        expect(what, 'user', body, user);
        expect(what, 'watchTime', body, total.watchTime);
        expect(what, 'movies', body, total.movies);
      });
    } else if (oracle.uncertainUsers.has(user)) {
      report.skipped++;
    }
    for (const slug of u.pairs.keys()) {
      const truth = oracle.pair(user, slug);
      if (oracle.isUncertainPair(user, slug)) {
        report.skipped++;
        continue;
      }
      if (!truth) continue;
      report.pairs++;
      checks.push(async () => {
        const what = `pair ${show(user)} / ${show(slug)}`;
        const body = await read(pathOf('users', user, 'movies', slug), what);
        if (!body) return;
        const s = truth.state;
        expect(what, 'user', body, user);
        expect(what, 'slug', body, slug);
        expect(what, 'watchTime', body, s.watchTime);
        expect(what, 'at', body, s.at);
        expect(what, 'furthest', body, s.furthest);
        const events = body.events;
        if (truth.maybeDuplicates > 0) {
          report.retriedPairs++;
          if (typeof events === 'number' && events > s.events) report.doubledPairs++;
        }
        if (typeof events !== 'number' || events < s.events || events > s.events + truth.maybeDuplicates) {
          mismatch(`${what}: events expected ${truth.maybeDuplicates ? `${s.events}..${s.events + truth.maybeDuplicates}` : s.events}, got ${show(events)}`);
        }
        if (insights) pairInsights(ctx, what, body, oracle, slug, truth, true, report.insights);
      });
      checks.push(async () => {
        const what = `latest ${show(user)} / ${show(slug)}`;
        const body = await read(pathOf('users', user, 'movies', slug, 'latest'), what);
        if (!body) return;
        expect(what, 'user', body, user);
        expect(what, 'slug', body, slug);
        expect(what, 'at', body, truth.state.at);
        if (insights) pairInsights(ctx, what, body, oracle, slug, truth, false, report.insights);
      });
    }
  }
  for (const slug of oracle.movies.keys()) {
    const truth = oracle.movie(slug);
    if (oracle.uncertainMovies.has(slug)) {
      report.skipped++;
      continue;
    }
    if (!truth) continue;
    report.movies++;
    checks.push(async () => {
      const what = `movie ${show(slug)}`;
      const body = await read(pathOf('movies', slug, 'watch-time'), what);
      if (!body) return;
      expect(what, 'slug', body, slug);
      expect(what, 'viewers', body, truth.viewers);
      expect(what, 'watchTime', body, truth.watchTime, (a, e) => typeof a === 'number' && close(a, e as number, MOVIE_RELATIVE_TOLERANCE));
      if (insights) expect(what, 'completions', body, oracle.completions(slug));
    });
  }
  if (insights) checks.push(...insightsChecks(ctx, oracle, report, baseline));

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) await checks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return report;
}

export function reportLines(r: VerifyReport): string[] {
  const lines = [
    `verify: checked ${r.checked}, mismatches ${r.mismatches}` +
      ` (${r.users} users, ${r.movies} movies, ${r.pairs} pairs read twice;` +
      ` pair and user values compared exactly, movie watch time within ${MOVIE_RELATIVE_TOLERANCE} relative` +
      `${r.skipped ? `; ${r.skipped} not checked after given-up events` : ''})`,
  ];
  const i = r.insights;
  if (!i.checked) lines.push('verify: insights (§5) not checked (--v1)');
  else
    lines.push(
      `verify: insights: ${i.movies} movies (metadata, completions: ${i.completions} completed pairs), ${i.retention} retention curves, ${i.series} series,` +
        ` ${i.continueWatching} continue-watching lists, ${i.progressPairs} pairs with progress, ${i.lateEvents} late events; overall series ${i.overallSeries}`,
    );
  if (r.retriedPairs > 0) {
    lines.push(
      `verify: ${r.retriedPairs} pairs had a retry after an attempt that may have been stored; ${r.doubledPairs} of them count that event twice in \`events\` (watch time and positions are exact either way)`,
    );
  }
  for (const m of r.first) lines.push(`  mismatch: ${m}`);
  if (r.mismatches > r.first.length) lines.push(`  ... and ${r.mismatches - r.first.length} more`);
  return lines;
}

/** GET with a few retries on 503 and network errors; a string describes a final failure. */
async function getWithRetry(client: HttpClient, path: string): Promise<HttpResult | string> {
  let last = '';
  for (let attempt = 1; attempt <= 8; attempt++) {
    try {
      const res = await client.request('GET', path);
      if (res.status !== 503) return res;
      last = `503 ${res.body.slice(0, 200)}`;
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
  }
  return `gave up after 8 attempts: ${last}`;
}
