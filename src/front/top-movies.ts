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
 * stop once the limit-th candidate beats the best total any unseen movie could have (the sum of
 * each shard's k-th partial). Otherwise grow k. Usually one round; ties at the bound grow k.
 */
export async function topMovies(
  limit: number,
  fetchTop: (k: number) => Promise<ShardTop[]>,
  fetchPartials: (slugs: string[]) => Promise<MoviePartial[][]>,
): Promise<MoviePartial[]> {
  for (let k = limit; ; k *= 4) {
    const tops = await fetchTop(k);
    const candidates = new Set<string>();
    let bound = 0;
    for (const top of tops) {
      for (const item of top.items) candidates.add(item.slug);
      if (!top.complete) bound += top.items[top.items.length - 1]?.watchTime ?? 0;
    }
    const everything = tops.every((t) => t.complete);
    // With every shard complete the lists already hold every partial; otherwise total exactly.
    const totals = mergePartials(everything ? tops.map((t) => t.items) : await fetchPartials([...candidates]));
    totals.sort(byWatchTimeThenSlug);
    if (everything || (totals.length >= limit && totals[limit - 1]!.watchTime > bound)) return totals.slice(0, limit);
  }
}
