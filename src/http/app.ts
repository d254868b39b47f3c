import uWS from 'uWebSockets.js';
import type { Cors } from './cors.js';
import { Exchange, type ResponseObserver } from './exchange.js';
import { unknownRoute, type Handler, type Router } from './router.js';

export interface HttpHooks {
  /** Sees every answered exchange (metrics, request logs). */
  onResponse?: ResponseObserver;
  /** Runs before routing; throws an ApiError to turn the request away (e.g. while draining). */
  admit?: (url: string) => void;
  /** CORS_ORIGINS: headers on every answer, preflight OPTIONS answered. Absent: no CORS at all. */
  cors?: Cors | null;
}

/** One uWebSockets.js app that answers every request through `router`. */
export function createHttpApp(router: Router<Handler>, hooks: HttpHooks = {}): uWS.TemplatedApp {
  const { onResponse = null, admit, cors = null } = hooks;
  return uWS.App().any('/*', (res, req) => {
    const ex = new Exchange(res, onResponse);
    // Without CORS_ORIGINS nothing here costs a request anything.
    if (cors !== null) ex.cors = cors.headersFor(req.getHeader('origin') || undefined);
    try {
      admit?.(req.getUrl());
      // Methods are case-sensitive (RFC 9110): `post` is not POST.
      const method = req.getCaseSensitiveMethod();
      ex.method = method;
      if (cors !== null && method === 'OPTIONS') {
        // A browser's preflight before a cross-origin request (or any OPTIONS, once CORS is on).
        const found = router.allowFor(req.getUrl());
        if (!found) throw unknownRoute(req.getUrl());
        ex.route = found.route;
        ex.empty(204, cors.preflight(req.getHeader('origin') || undefined, found.allow));
        return;
      }
      const { handler, params, route, compress } = router.match(method, req.getUrl());
      ex.route = route;
      if (compress) ex.acceptEncoding = req.getHeader('accept-encoding') || undefined;
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
