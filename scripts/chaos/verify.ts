import { pathOf, type Client } from './http.js';
import type { Oracle } from './oracle.js';

export interface Verification {
  pairs: number;
  users: number;
  movies: number;
  /** Acknowledged events the service does not count (summed over pairs). */
  lost: number;
  /** Events the service counts more than once (summed over pairs). */
  doubled: number;
  /** Every difference, one line each (including the lost and doubled ones). */
  mismatches: string[];
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const show = (v: unknown): string => JSON.stringify(v);

/**
 * Reads back every pair, user and movie the oracle knows and compares exactly: pair watchTime, at,
 * furthest, events (and updatedAt within the acknowledging request's window), user totals and
 * movie count, the user's list of movies, movie totals and viewers, and `/movies/top?limit=1000`
 * (which also shows any movie the oracle does not know).
 *
 * `roundingSlack`: movie totals are sums over users kept by different shards, added up in an order
 * the contract leaves open, so with arbitrary float positions they may differ from the oracle's
 * order in the last bits; allow that much (n events * 2 ulp) instead of exact equality. Callers
 * whose positions keep every sum exact (multiples of 1/4) leave it off.
 */
export async function verify(client: Client, oracle: Oracle, concurrency = 8, roundingSlack = false): Promise<Verification> {
  const sameTotal = (got: unknown, want: number): boolean =>
    got === want || (roundingSlack && typeof got === 'number' && Math.abs(got - want) <= 2 * Number.EPSILON * Math.abs(want) * Math.max(1, oracle.events));
  const out: Verification = { pairs: 0, users: 0, movies: 0, lost: 0, doubled: 0, mismatches: [] };
  const bad = (line: string): void => void out.mismatches.push(line);
  const get = async (path: string): Promise<{ status: number; body: Json }> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await client.getJson(path);
        if (r.status !== 503 || attempt >= 20) return { status: r.status, body: asObject(r.body) };
      } catch (err) {
        if (attempt >= 20) throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const pairs = [...oracle.pairs].flatMap(([user, slugs]) => [...slugs].map(([slug, truth]) => ({ user, slug, truth })));
  await pool(pairs, concurrency, async ({ user, slug, truth }) => {
    out.pairs++;
    const want = truth.state;
    const r = await get(pathOf('users', user, 'movies', slug));
    const where = `pair ${show(user)}/${show(slug)}`;
    if (r.status !== 200) {
      out.lost += want.events;
      bad(`${where}: HTTP ${r.status}, expected ${want.events} events (all lost)`);
      return;
    }
    const got = r.body;
    const events = typeof got.events === 'number' ? got.events : NaN;
    if (events < want.events) out.lost += want.events - events;
    if (events > want.events) out.doubled += events - want.events;
    for (const field of ['watchTime', 'at', 'furthest', 'events'] as const) {
      if (got[field] !== want[field]) bad(`${where}: ${field} ${show(got[field])}, expected ${want[field]}`);
    }
    const updated = typeof got.updatedAt === 'string' ? Date.parse(got.updatedAt) : NaN;
    if (!(updated >= truth.updatedFrom - 1 && updated <= truth.updatedTo + 1)) {
      bad(
        `${where}: updatedAt ${show(got.updatedAt)} outside the acknowledging request's window ${new Date(truth.updatedFrom).toISOString()}..${new Date(truth.updatedTo).toISOString()}`,
      );
    }
  });

  await pool([...oracle.users], concurrency, async ([user, watchTime]) => {
    out.users++;
    const slugs = oracle.pairs.get(user)!;
    const r = await get(pathOf('users', user, 'watch-time'));
    if (r.status !== 200) return bad(`user ${show(user)}: HTTP ${r.status}`);
    if (r.body.watchTime !== watchTime) bad(`user ${show(user)}: watchTime ${show(r.body.watchTime)}, expected ${watchTime}`);
    if (r.body.movies !== slugs.size) bad(`user ${show(user)}: movies ${show(r.body.movies)}, expected ${slugs.size}`);
    const list = await get(`${pathOf('users', user, 'movies')}?limit=1000`);
    const items = Array.isArray(list.body.items) ? (list.body.items as unknown[]).map((i) => asObject(i).slug) : [];
    const want = [...slugs.keys()].sort();
    const got = items.map(String).sort();
    if (show(got) !== show(want)) bad(`user ${show(user)}: movies list ${show(got)}, expected ${show(want)}`);
  });

  await pool([...oracle.movies], concurrency, async ([slug, truth]) => {
    out.movies++;
    const r = await get(pathOf('movies', slug, 'watch-time'));
    if (r.status !== 200) return bad(`movie ${show(slug)}: HTTP ${r.status}`);
    if (!sameTotal(r.body.watchTime, truth.watchTime)) bad(`movie ${show(slug)}: watchTime ${show(r.body.watchTime)}, expected ${truth.watchTime}`);
    if (r.body.viewers !== truth.viewers) bad(`movie ${show(slug)}: viewers ${show(r.body.viewers)}, expected ${truth.viewers}`);
  });

  if (oracle.movies.size <= 1000) {
    // Every movie has at least one pair, so the service's top list (limit 1000) is all its movies.
    const top = await get('/movies/top?limit=1000');
    const items = Array.isArray(top.body.items) ? (top.body.items as unknown[]).map(asObject) : [];
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      const slug = String(item.slug);
      seen.add(slug);
      const truth = oracle.movies.get(slug);
      if (!truth) bad(`movies/top: unexpected movie ${show(item.slug)} (${show(item.watchTime)}, ${show(item.viewers)} viewers)`);
      else if (!sameTotal(item.watchTime, truth.watchTime) || item.viewers !== truth.viewers) {
        bad(`movies/top: ${show(slug)} ${show(item.watchTime)}/${show(item.viewers)}, expected ${truth.watchTime}/${truth.viewers}`);
      }
      const prev = items[i - 1];
      if (prev) {
        const [pw, w] = [Number(prev.watchTime), Number(item.watchTime)];
        if (pw < w || (pw === w && !(String(prev.slug) < slug))) bad(`movies/top: ${show(prev.slug)} before ${show(slug)} is not (watchTime desc, slug asc)`);
      }
    }
    const missing = [...oracle.movies.keys()].filter((s) => !seen.has(s));
    if (missing.length > 0) bad(`movies/top: ${missing.length} movies missing, e.g. ${show(missing.slice(0, 5))}`);
  }
  return out;
}
