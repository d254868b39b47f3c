import { mergeMovie, topMoviesOf, type FrontBackend } from '../protocol/index.js';
import { notFound } from '../http/index.js';
import { parseLimit, respond } from './respond.js';
import { iso, pairBody, pairItem, progressFields } from '../api/pair-body.js';

export const noMovie = (slug: string) => notFound(`No metadata or events have been recorded for movie ${JSON.stringify(slug)}.`);

/** The query routes of CONTRACT §4 (with the §5 fields their bodies gain). */
export function queryHandlers(shards: FrontBackend) {
  const ownerOf = (user: string) => shards.shardOf(user);
  const noUser = (user: string) => notFound(`No events have been recorded for user ${JSON.stringify(user)}.`);
  const noPair = (user: string, slug: string) => notFound(`User ${JSON.stringify(user)} has no events for movie ${JSON.stringify(slug)}.`);

  return {
    userWatchTime: respond(async ({ params: { user = '' } }) => {
      const r = await shards.query(ownerOf(user), { op: 'user', user });
      if (!r) throw noUser(user);
      return { user, watchTime: r.watchTime, movies: r.movies };
    }),

    pair: respond(async ({ params: { user = '', slug = '' } }) => {
      const p = await shards.query(ownerOf(user), { op: 'pair', user, slug });
      if (!p) throw noPair(user, slug);
      return pairBody(user, p);
    }),

    latest: respond(async ({ params: { user = '', slug = '' } }) => {
      const p = await shards.query(ownerOf(user), { op: 'pair', user, slug });
      if (!p) throw noPair(user, slug);
      return { user, slug, at: p.at, updatedAt: iso(p.updatedAt), ...progressFields(p) };
    }),

    userMovies: respond(async ({ params: { user = '' }, query }) => {
      const limit = parseLimit(query, 50, 1000);
      const items = await shards.query(ownerOf(user), { op: 'userMovies', user, limit });
      if (!items) throw noUser(user);
      return { user, items: items.map(pairItem) };
    }),

    movieWatchTime: respond(async ({ params: { slug = '' } }) => {
      const m = mergeMovie(await shards.queryAll({ op: 'movie', slug }));
      if (!m) throw noMovie(slug);
      return m.completions === undefined
        ? { slug, watchTime: m.watchTime, viewers: m.viewers }
        : { slug, watchTime: m.watchTime, viewers: m.viewers, completions: m.completions };
    }),

    topMovies: respond(async ({ query }) => {
      const limit = parseLimit(query, 10, 1000);
      const items = await topMoviesOf(shards, limit);
      return { items: items.map(({ slug, watchTime, viewers }) => ({ slug, watchTime, viewers })) };
    }),
  };
}
