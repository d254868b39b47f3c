import uWS from 'uWebSockets.js';
import type { Config } from '../config.js';
import { createOps } from '../ops/routes.js';
import { bearerCheck } from './auth.js';
import { unavailable } from './errors.js';
import { Exchange } from './http.js';
import { ingest } from './ingest.js';
import { queryHandlers } from './queries.js';
import { Router, type Request } from './router.js';
import type { ShardSet } from './shard-set.js';

type Handler = (ex: Exchange, req: Request) => void;

/** The HTTP API of CONTRACT §2 and §4 on one uWebSockets.js app. */
export function createApp(config: Config, shards: ShardSet, isStopping: () => boolean): uWS.TemplatedApp {
  const guard = (check: (authorization: string | undefined) => void, handler: Handler): Handler => (ex, req) => {
    check(req.headers.authorization);
    handler(ex, req);
  };
  const ingestAuth = bearerCheck(config.ingestToken, 'Ingest');
  const queryAuth = bearerCheck(config.queryToken, 'This query');
  const raw = queryHandlers(shards);
  const q = Object.fromEntries(Object.entries(raw).map(([name, h]) => [name, guard(queryAuth, h)])) as typeof raw;
  const post = guard(ingestAuth, ingest(config, shards));
  const ops = createOps(config, shards, () => router.describe());
  const router = new Router<Handler>([
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
    { path: '/openapi.json', methods: { GET: ops.openapi } },
    { path: '/docs', methods: { GET: ops.docsPage } },
    { path: '/docs/:asset', methods: { GET: ops.docsAsset } },
    { path: '/metrics', methods: { GET: guard(queryAuth, ops.metrics) } },
    { path: '/dashboard', methods: { GET: ops.dashboardPage } },
    { path: '/dashboard/events', methods: { GET: ops.dashboardEvents } },
    { path: '/dashboard/:asset', methods: { GET: ops.dashboardAsset } },
  ]);

  return uWS.App().any('/*', (res, req) => {
    const ex = new Exchange(res);
    try {
      // Draining for shutdown: in-flight requests finish, new ones are turned away to retry.
      if (isStopping() && req.getUrl() !== '/healthz') throw unavailable('the service is shutting down');
      // Methods are case-sensitive (RFC 9110): `post` is not POST.
      const method = req.getCaseSensitiveMethod();
      ex.method = method;
      // HEAD is GET without the body (Exchange leaves the body out).
      const { handler, params, route } = router.match(method === 'HEAD' ? 'GET' : method, req.getUrl());
      ex.route = route;
      // Everything from `req` is read now: uWS invalidates it when this callback returns.
      handler(ex, {
        method,
        params,
        query: req.getQuery() ?? '',
        headers: {
          contentType: req.getHeader('content-type') || undefined,
          contentLength: req.getHeader('content-length') || undefined,
          idempotencyKey: req.getHeader('idempotency-key') || undefined,
          authorization: req.getHeader('authorization') || undefined,
        },
      });
    } catch (err) {
      ex.error(err);
    }
  });
}
