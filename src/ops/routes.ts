import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { bearerCheck, guard, type Exchange, type ResponseObserver, type Route } from '../http/index.js';
import type { Backend } from '../protocol/index.js';
import { Dashboard } from './dashboard/server.js';
import { docsAsset, docsPage } from './docs.js';
import { Metrics } from './metrics.js';
import { documentFor } from './openapi.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The operator surface: the routes /openapi.json, /docs, /metrics, /dashboard, and the observer
 * that feeds the metrics from every answered request (pass it to the HTTP app).
 * `served` lists the app's routes (for the OpenAPI document's check against them).
 */
export function createOps(
  config: Config,
  backend: Backend,
  served: () => { path: string; methods: string[] }[],
): { routes: Route[]; onResponse: ResponseObserver } {
  const metrics = new Metrics(backend);
  const dashboard = new Dashboard(backend, metrics, config.queryToken);
  const queryAuth = bearerCheck(config.queryToken, 'This query');
  let openapi: string | null = null;
  const openapiHandler = (ex: Exchange): void => {
    openapi ??= JSON.stringify(documentFor(served(), VERSION));
    ex.send(200, 'application/json', openapi);
  };
  const metricsHandler = (ex: Exchange): void => {
    metrics.text().then(
      (text) => ex.send(200, metrics.contentType, text),
      (err: unknown) => ex.error(err),
    );
  };
  return {
    onResponse: (ex, status, body) => metrics.onResponse(ex, status, body),
    routes: [
      { path: '/openapi.json', methods: { GET: openapiHandler } },
      { path: '/docs', methods: { GET: docsPage } },
      { path: '/docs/:asset', methods: { GET: docsAsset } },
      { path: '/metrics', methods: { GET: guard(queryAuth, metricsHandler) } },
      { path: '/dashboard', methods: { GET: dashboard.page } },
      { path: '/dashboard/events', methods: { GET: dashboard.events } },
      { path: '/dashboard/:asset', methods: { GET: dashboard.asset } },
    ],
  };
}
