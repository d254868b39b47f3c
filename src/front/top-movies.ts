import type { MoviePartial } from '../shard/state.js';
import { compareNames } from '../shard/state.js';

export interface ShardTop {
  items: MoviePartial[];
  /** The shard returned every movie it has. */
  complete: boolean;
}

/** Adds up per-shard partials into movie totals (users live on one shard each, so viewers add up too). */
export function mergePartials(perShard: MoviePartial[][]): MoviePartial[] {
  const totals = new Map<string, MoviePartial>();
  for (const partials of perShard) {
    for (const p of partials) {
      const t = totals.get(p.slug);
      if (t) {
        t.watchTime += p.watchTime;
        t.viewers += p.viewers;
      } else {
        totals.set(p.slug, { ...p });
      }
    }
  }
  return [...totals.values()];
}

export const byWatchTimeThenSlug = (a: MoviePartial, b: MoviePartial): number => b.watchTime - a.watchTime || compareNames(a.slug, b.slug);

/**
 * Exact global top-`limit` from shards that each know only their partial totals (a threshold
 * algorithm, after Fagin's TA / TPUT): take each shard's top k, total the candidates exactly, and
 * stop once the limit-th candidate ranks above anything an unseen movie could reach; otherwise
 * grow k. An unseen movie m has, on every shard that did not return all its movies, a partial at
 * most that shard's k-th partial τ, so its total is at most the sum of those (the bound). If it
 * equals the bound, it ties every τ, and on each shard where it exists its slug sorts after that
 * shard's k-th slug: it exists on every shard with τ > 0, and on at least one shard. That slug
 * lower bound settles ties at the bound (for instance many movies at 0) without growing k.
 */
export async function topMovies(
  limit: number,
  fetchTop: (k: number) => Promise<ShardTop[]>,
  fetchPartials: (slugs: string[]) => Promise<MoviePartial[][]>,
): Promise<MoviePartial[]> {
  for (let k = limit; ; k *= 4) {
    const tops = await fetchTop(k);
    const candidates = new Set<string>();
    const open: MoviePartial[] = []; // the k-th item of each shard that has more movies
    for (const top of tops) {
      for (const item of top.items) candidates.add(item.slug);
      if (!top.complete) open.push(top.items[top.items.length - 1]!);
    }
    // With every shard complete the lists already hold every partial; otherwise total exactly.
    const totals = mergePartials(open.length === 0 ? tops.map((t) => t.items) : await fetchPartials([...candidates]));
    totals.sort(byWatchTimeThenSlug);
    if (open.length === 0) return totals.slice(0, limit);
    if (totals.length >= limit && ranksAboveUnseen(totals[limit - 1]!, open)) return totals.slice(0, limit);
  }
}

/** Whether `c` sorts before every movie missing from the shards' top lists (see topMovies). */
function ranksAboveUnseen(c: MoviePartial, open: MoviePartial[]): boolean {
  const bound = open.reduce((sum, kth) => sum + kth.watchTime, 0);
  if (c.watchTime !== bound) return c.watchTime > bound;
  const positive = open.filter((kth) => kth.watchTime > 0).map((kth) => kth.slug);
  const after = positive.length > 0 ? positive.reduce((a, b) => (compareNames(a, b) >= 0 ? a : b)) : open.map((kth) => kth.slug).reduce((a, b) => (compareNames(a, b) <= 0 ? a : b));
  return compareNames(c.slug, after) <= 0;
}
