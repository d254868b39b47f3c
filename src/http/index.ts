/**
 * The HTTP layer the front's API and the operator surface both stand on: the uWS app and its
 * dispatch, one Exchange per request (every write, every header, server-sent events,
 * compression), the router, the contract's error responses, bearer-token auth and CORS. Knows
 * nothing of shards.
 */
export { createHttpApp, type HttpHooks } from './app.js';
export { bearerCheck, guard } from './auth.js';
export { negotiate, StaticBody, type Coding } from './compress.js';
export { Cors } from './cors.js';
export { ApiError, notFound, tooLarge, unavailable } from './errors.js';
export { Exchange, type EventStream, type ResponseObserver } from './exchange.js';
export { Router, type Handler, type Request, type Route } from './router.js';
