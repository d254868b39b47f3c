import uWS from 'uWebSockets.js';
import { Exchange, type ResponseObserver } from './exchange.js';
import type { Handler, Router } from './router.js';

export interface HttpHooks {
  /** Sees every answered exchange (metrics, request logs). */
  onResponse?: ResponseObserver;
  /** Runs before routing; throws an ApiError to turn the request away (e.g. while draining). */
  admit?: (url: string) => void;
}

/** One uWebSockets.js app that answers every request through `router`. */
export function createHttpApp(router: Router<Handler>, hooks: HttpHooks = {}): uWS.TemplatedApp {
  const { onResponse = null, admit } = hooks;
  return uWS.App().any('/*', (res, req) => {
    const ex = new Exchange(res, onResponse);
    try {
      admit?.(req.getUrl());
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
