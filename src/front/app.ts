import type { Config } from '../config.js';
import { bearerCheck, guard, unavailable, type Route } from '../http/index.js';
import type { ShardSet } from '../transport/shard-set.js';
import { ingest } from './ingest.js';
import { queryHandlers } from './queries.js';

/** The routes of the HTTP API of CONTRACT §2 and §4: ingest, health, queries. */
export function frontRoutes(config: Config, shards: ShardSet): Route[] {
  const ingestAuth = bearerCheck(config.ingestToken, 'Ingest');
  const queryAuth = bearerCheck(config.queryToken, 'This query');
  const raw = queryHandlers(shards);
  const q = Object.fromEntries(Object.entries(raw).map(([name, h]) => [name, guard(queryAuth, h)])) as typeof raw;
  const post = guard(ingestAuth, ingest(config, shards));
  return [
    { path: '/', methods: { POST: post } },
    { path: '/events', methods: { POST: post } },
    { path: '/healthz', methods: { GET: (ex) => ex.json(200, { status: 'ok' }) } },
    {
      path: '/readyz',
      methods: {
        GET: (ex) => {
          const waiting = shards.notReady;
          if (waiting.length > 0) ex.error(unavailable(`shards ${waiting.join(', ')} of ${config.shards} are not ready`));
          else ex.json(200, { status: 'ready', shards: config.shards });
        },
      },
    },
    { path: '/movies/top', methods: { GET: q.topMovies } },
    { path: '/movies/:slug/watch-time', methods: { GET: q.movieWatchTime } },
    { path: '/users/:user/watch-time', methods: { GET: q.userWatchTime } },
    { path: '/users/:user/movies', methods: { GET: q.userMovies } },
    { path: '/users/:user/movies/:slug', methods: { GET: q.pair } },
    { path: '/users/:user/movies/:slug/latest', methods: { GET: q.latest } },
  ];
}
