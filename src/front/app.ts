import type { Config } from '../config.js';
import type { FrontBackend } from '../protocol/index.js';
import { bearerCheck, guard, unavailable, type Route } from '../http/index.js';
import { ingest } from './ingest.js';
import { insightsHandlers, putMovie } from './insights.js';
import { queryHandlers } from './queries.js';

/** e.g. "shard 0 (of 2) is not ready yet", "shards 0, 3 (of 4) are not ready yet", with what to do. */
export function notReadyMessage(waiting: number[], shards: number): string {
  if (waiting.length === 1) return `shard ${waiting[0]} (of ${shards}) is not ready yet: recovering its state or restarting; retry shortly`;
  return `shards ${waiting.join(', ')} (of ${shards}) are not ready yet: recovering their state or restarting; retry shortly`;
}

/** The routes of the HTTP API of CONTRACT §2, §4 and §5: ingest, health, queries, catalogue, insights. */
export function frontRoutes(config: Config, shards: FrontBackend): Route[] {
  const ingestAuth = bearerCheck(config.ingestToken, 'Ingest');
  const queryAuth = bearerCheck(config.queryToken, 'This query');
  const raw = { ...queryHandlers(shards), ...insightsHandlers(shards) };
  const q = Object.fromEntries(Object.entries(raw).map(([name, h]) => [name, guard(queryAuth, h)])) as typeof raw;
  const post = guard(ingestAuth, ingest(config, shards));
  // A catalogue write is a write like ingest: the ingest token guards it.
  const put = guard(ingestAuth, putMovie(config, shards));
  return [
    { path: '/', methods: { POST: post } },
    { path: '/events', methods: { POST: post } },
    { path: '/healthz', methods: { GET: (ex) => ex.json(200, { status: 'ok' }) } },
    {
      path: '/readyz',
      methods: {
        GET: (ex) => {
          const waiting = shards.notReady;
          if (waiting.length > 0) ex.error(unavailable(notReadyMessage(waiting, config.shards)));
          else ex.json(200, { status: 'ready', shards: config.shards });
        },
      },
    },
    // GET /movies/top is the top list; PUT /movies/top stores the movie "top" like any other.
    { path: '/movies/top', methods: { GET: q.topMovies, PUT: put } },
    { path: '/movies/:slug', methods: { GET: q.movie, PUT: put } },
    { path: '/movies/:slug/watch-time', methods: { GET: q.movieWatchTime } },
    { path: '/movies/:slug/retention', methods: { GET: q.retention } },
    { path: '/movies/:slug/series', methods: { GET: q.movieSeries } },
    { path: '/series', methods: { GET: q.allSeries } },
    { path: '/users/:user/continue-watching', methods: { GET: q.continueWatching } },
    { path: '/users/:user/watch-time', methods: { GET: q.userWatchTime } },
    { path: '/users/:user/movies', methods: { GET: q.userMovies } },
    { path: '/users/:user/movies/:slug', methods: { GET: q.pair } },
    { path: '/users/:user/movies/:slug/latest', methods: { GET: q.latest } },
  ];
}
