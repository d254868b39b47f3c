import type { MoviePartial } from './views.js';

/** Code-unit order, the order the API sorts names in. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Watch-time order of movies: watch time desc, then slug asc (a total order; top lists use it). */
export const byWatchTimeThenSlug = (a: MoviePartial, b: MoviePartial): number => b.watchTime - a.watchTime || compareNames(a.slug, b.slug);
