import type { Config } from '../config.js';
import { mergeMovie, mergeRetention, mergeSeries, movieRecord, type FrontBackend, type SeriesPoint } from '../protocol/index.js';
import { notFound, type Exchange, type Request } from '../http/index.js';
import { readJsonBody } from './body.js';
import { parseMovie } from './movie-body.js';
import { noMovie } from './queries.js';
import { parseLimit, respond } from './respond.js';
import { iso } from '../api/pair-body.js';
import { parseSeriesQuery } from './series-query.js';
import { toApiError } from './shard-errors.js';

/**
 * PUT /movies/{slug} (CONTRACT §5.2): the movie record goes to EVERY shard's log (a movie's pairs
 * live on all of them), so it is durable, replayed and snapshotted like events; 200 once every
 * shard has it. If one fails the answer is 503: a retried PUT replaces the same metadata, so
 * shards that already have it are unchanged.
 */
export function putMovie(config: Config, shards: FrontBackend) {
  return (ex: Exchange, req: Request): void => {
    const slug = req.params.slug ?? 'top'; // PUT /movies/top is routed here without a :slug
    readJsonBody(config, ex, req, (body) => {
      const { duration, title } = parseMovie(body);
      const record = movieRecord(Date.now(), slug, duration, title);
      Promise.all(Array.from({ length: shards.keyCount }, (_, k) => shards.ingest(k, record, 1))).then(
        () => ex.json(200, title === null ? { slug, duration } : { slug, title, duration }),
        (err: unknown) => ex.error(toApiError(err, 'ingest')),
      );
    });
  };
}

const seriesItems = (points: SeriesPoint[]) => points.map((p) => ({ t: iso(p.t), watchTime: p.watchTime, events: p.events }));

/** The query routes of CONTRACT §5: movie, retention, series, continue-watching. */
export function insightsHandlers(shards: FrontBackend) {
  const series = async (slug: string | null, query: string) => {
    const r = parseSeriesQuery(query, Date.now());
    const parts = await shards.queryAll({ op: 'series', slug, step: r.step, from: r.firstMs, to: r.lastMs });
    const points = mergeSeries(parts);
    if (!points) throw noMovie(slug ?? '');
    return { step: r.step, from: iso(r.from), to: iso(r.to), items: seriesItems(points) };
  };

  return {
    movie: respond(async ({ params: { slug = '' } }) => {
      const m = mergeMovie(await shards.queryAll({ op: 'movie', slug }));
      if (!m) throw noMovie(slug);
      return {
        slug,
        ...(m.title !== undefined ? { title: m.title } : {}),
        ...(m.duration !== undefined ? { duration: m.duration } : {}),
        watchTime: m.watchTime,
        viewers: m.viewers,
        ...(m.completions !== undefined ? { completions: m.completions } : {}),
      };
    }),

    retention: respond(async ({ params: { slug = '' } }) => {
      const r = mergeRetention(await shards.queryAll({ op: 'retention', slug }));
      if (!r) throw noMovie(slug);
      return r;
    }),

    movieSeries: respond(({ params: { slug = '' }, query }) => series(slug, query)),

    allSeries: respond(({ query }) => series(null, query)),

    continueWatching: respond(async ({ params: { user = '' }, query }) => {
      const limit = parseLimit(query, 20, 1000);
      const items = await shards.query(shards.shardOf(user), { op: 'continueWatching', user, limit });
      if (!items) throw notFound(`No events have been recorded for user ${JSON.stringify(user)}.`);
      return {
        user,
        items: items.map((i) => ({
          slug: i.slug,
          ...(i.title !== undefined ? { title: i.title } : {}),
          resumeAt: i.resumeAt,
          progress: i.progress,
          duration: i.duration,
          updatedAt: iso(i.updatedAt),
        })),
      };
    }),
  };
}
