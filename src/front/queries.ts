import { mergePartials, topMoviesOf, type PairView } from '../protocol/index.js';
import { ApiError, notFound, type Handler, type Request } from '../http/index.js';
import type { ShardSet } from '../transport/shard-set.js';
import { toApiError } from './shard-errors.js';

/** Runs an async query handler and turns its result or error into the response. */
function respond(run: (req: Request) => Promise<unknown>): Handler {
  return (ex, req) => {
    run(req).then(
      (body) => ex.json(200, body),
      (err: unknown) => ex.error(toApiError(err)),
    );
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

const pairBody = (p: PairView) => ({
  slug: p.slug,
  watchTime: p.watchTime,
  at: p.at,
  furthest: p.furthest,
  events: p.events,
  updatedAt: iso(p.updatedAt),
});

/** `limit` from the query string: a plain decimal integer in 1..max, `fallback` when absent. */
export function parseLimit(query: string, fallback: number, max: number): number {
  const raw = new URLSearchParams(query).get('limit');
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ApiError(400, 'invalid_query', `limit must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function queryHandlers(shards: ShardSet) {
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
      return { user, ...pairBody(p) };
    }),

    latest: respond(async ({ params: { user = '', slug = '' } }) => {
      const p = await shards.query(ownerOf(user), { op: 'pair', user, slug });
      if (!p) throw noPair(user, slug);
      return { user, slug, at: p.at, updatedAt: iso(p.updatedAt) };
    }),

    userMovies: respond(async ({ params: { user = '' }, query }) => {
      const limit = parseLimit(query, 50, 1000);
      const items = await shards.query(ownerOf(user), { op: 'userMovies', user, limit });
      if (!items) throw noUser(user);
      return { user, items: items.map(pairBody) };
    }),

    movieWatchTime: respond(async ({ params: { slug = '' } }) => {
      const [total] = mergePartials(await shards.queryAll({ op: 'movies', slugs: [slug] }));
      if (!total) throw notFound(`No events have been recorded for movie ${JSON.stringify(slug)}.`);
      return { slug, watchTime: total.watchTime, viewers: total.viewers };
    }),

    topMovies: respond(async ({ query }) => {
      const limit = parseLimit(query, 10, 1000);
      const items = await topMoviesOf(shards, limit);
      return { items: items.map(({ slug, watchTime, viewers }) => ({ slug, watchTime, viewers })) };
    }),
  };
}
