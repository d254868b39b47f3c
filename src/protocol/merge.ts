import type { Backend } from './backend.js';
import { byWatchTimeThenSlug, compareNames } from './order.js';
import type { MoviePartial, ShardTop } from './views.js';

/** How the shards' partial answers combine into the API's answers. */

/** Adds up per-shard partials into movie totals (users live on one shard each, so viewers add up too). */
export function mergePartials(perShard: MoviePartial[][]): MoviePartial[] {
  const totals = new Map<string, MoviePartial>();
  for (const partials of perShard) {
    for (const p of partials) {
      const t = totals.get(p.slug);
      if (t) {
        t.watchTime += p.watchTime;
        t.viewers += p.viewers;
        if (p.completions !== undefined) t.completions = (t.completions ?? 0) + p.completions;
      } else {
        totals.set(p.slug, { ...p });
      }
    }
  }
  return [...totals.values()];
}

/**
 * Exact global top-`limit` from shards that each know only their partial totals (a threshold
 * algorithm, after Fagin's TA / TPUT): take each shard's top k, total the candidates exactly, and
 * stop once the limit-th candidate ranks above anything an unseen movie could reach; otherwise
 * grow k. An unseen movie m has, on every shard that did not return all its movies, a partial at
 * most that shard's k-th partial τ, so its total is at most the sum of those (the bound). If it
 * equals the bound, it ties every τ, and on each shard where it exists its slug sorts after that
 * shard's k-th slug: it exists on every shard with τ > 0, and on at least one shard. That slug
 * lower bound settles ties at the bound (for instance many movies at 0) without growing k.
 *
 * The first k is a few times `limit`, so that usually every movie of the answer is in every
 * shard's list and the lists alone settle it (settleFromLists): one round trip instead of two.
 */
export async function topMovies(
  limit: number,
  fetchTop: (k: number) => Promise<ShardTop[]>,
  fetchPartials: (slugs: string[]) => Promise<MoviePartial[][]>,
): Promise<MoviePartial[]> {
  for (let k = Math.max(limit, Math.min(4 * limit, 256)); ; k *= 4) {
    const tops = await fetchTop(k);
    const open: MoviePartial[] = []; // the k-th item of each shard that has more movies
    for (const top of tops) if (!top.complete) open.push(top.items[top.items.length - 1]!);
    const settled = settleFromLists(tops, open, limit);
    if (settled) return settled;
    const candidates = new Set<string>();
    for (const top of tops) for (const item of top.items) candidates.add(item.slug);
    const totals = mergePartials(await fetchPartials([...candidates]));
    totals.sort(byWatchTimeThenSlug);
    if (totals.length >= limit && ranksAboveUnseen(totals[limit - 1]!, open)) return totals.slice(0, limit);
  }
}

/** The global top-`limit` movies from every shard of `backend` (the API's and the dashboard's). */
export function topMoviesOf(backend: Pick<Backend, 'queryAll'>, limit: number): Promise<MoviePartial[]> {
  return topMovies(
    limit,
    (k) => backend.queryAll({ op: 'top', k }),
    (slugs) => backend.queryAll({ op: 'movies', slugs }),
  );
}

/**
 * The answer from the top lists alone, or null if they do not settle it. A candidate is exact
 * when every shard either listed it or returned all its movies (then it has none there). A
 * candidate some open shard did not list may have up to that shard's τ more: the limit-th exact
 * total must rank above that upper bound, and above the unseen bound.
 */
function settleFromLists(tops: ShardTop[], open: MoviePartial[], limit: number): MoviePartial[] | null {
  // Per candidate: its total over the shards that listed it (added in shard order, as
  // mergePartials does), and which shards those are.
  const candidates = new Map<string, { total: MoviePartial; listed: boolean[] }>();
  tops.forEach((top, s) => {
    for (const p of top.items) {
      let c = candidates.get(p.slug);
      if (!c) candidates.set(p.slug, (c = { total: { slug: p.slug, watchTime: 0, viewers: 0 }, listed: tops.map(() => false) }));
      c.total.watchTime += p.watchTime;
      c.total.viewers += p.viewers;
      c.listed[s] = true;
    }
  });
  const exact: MoviePartial[] = [];
  const inexact: { slug: string; upper: number }[] = [];
  for (const { total, listed } of candidates.values()) {
    let upper = total.watchTime;
    let isExact = true;
    tops.forEach((top, s) => {
      if (top.complete || listed[s]) return;
      isExact = false;
      upper += top.items[top.items.length - 1]!.watchTime;
    });
    if (isExact) exact.push(total);
    else inexact.push({ slug: total.slug, upper });
  }
  exact.sort(byWatchTimeThenSlug);
  if (open.length === 0) return exact.slice(0, limit);
  if (exact.length < limit) return null;
  const last = exact[limit - 1]!;
  const ranksAbove = (d: { slug: string; upper: number }): boolean =>
    last.watchTime > d.upper || (last.watchTime === d.upper && compareNames(last.slug, d.slug) < 0);
  return inexact.every(ranksAbove) && ranksAboveUnseen(last, open) ? exact.slice(0, limit) : null;
}

/** Whether `c` sorts before every movie missing from the shards' top lists (see topMovies). */
function ranksAboveUnseen(c: MoviePartial, open: MoviePartial[]): boolean {
  const bound = open.reduce((sum, kth) => sum + kth.watchTime, 0);
  if (c.watchTime !== bound) return c.watchTime > bound;
  const positive = open.filter((kth) => kth.watchTime > 0).map((kth) => kth.slug);
  const after =
    positive.length > 0
      ? positive.reduce((a, b) => (compareNames(a, b) >= 0 ? a : b))
      : open.map((kth) => kth.slug).reduce((a, b) => (compareNames(a, b) <= 0 ? a : b));
  return compareNames(c.slug, after) <= 0;
}
