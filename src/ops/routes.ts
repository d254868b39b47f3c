import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { bearerCheck, guard, StaticBody, unavailable, type Exchange, type ResponseObserver, type Route } from '../http/index.js';
import type { Backend } from '../protocol/index.js';
import { Dashboard } from './dashboard/server.js';
import { docsAsset, docsPage } from './docs.js';
import { Metrics } from './metrics.js';
import { documentFor } from './openapi.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Cluster mode's status source (GET /cluster); absent in embedded mode. */
export interface ClusterView {
  status(): Promise<unknown>;
}

/**
 * The operator surface: the routes /openapi.json, /docs, /metrics, /dashboard, and the observer
 * that feeds the metrics from every answered request (pass it to the HTTP app).
 * `served` lists the app's routes (for the OpenAPI document's check against them).
 */
export function createOps(
  config: Config,
  backend: Backend,
  served: () => { path: string; methods: string[] }[],
  cluster?: ClusterView,
): { routes: Route[]; onResponse: ResponseObserver } {
  const metrics = new Metrics(backend);
  const dashboard = new Dashboard(backend, metrics, config.queryToken);
  const queryAuth = bearerCheck(config.queryToken, 'This query');
  let openapi: StaticBody | null = null;
  const openapiHandler = (ex: Exchange): void => {
    openapi ??= new StaticBody(JSON.stringify(documentFor(served(), VERSION)));
    ex.sendCompressible(200, 'application/json', openapi);
  };
  const index = JSON.stringify({
    service: 'watch-time',
    version: VERSION,
    links: { docs: '/docs', openapi: '/openapi.json', dashboard: '/dashboard', ingest: '/events' },
  });
  const indexHandler = (ex: Exchange): void => ex.send(200, 'application/json', index);
  const metricsHandler = (ex: Exchange): void => {
    metrics.text().then(
      (text) => ex.sendCompressible(200, metrics.contentType, text),
      (err: unknown) => ex.error(err),
    );
  };
  const clusterHandler = (ex: Exchange): void => {
    if (!cluster) {
      ex.json(200, { mode: 'embedded', message: 'NATS_URL is not set: this host runs in embedded mode and is not part of a cluster.' });
      return;
    }
    cluster.status().then(
      (body) => ex.json(200, { mode: 'cluster', ...(body as object) }),
      (err: unknown) => ex.error(unavailable(`cannot read the cluster from NATS (${(err as Error).message})`)),
    );
  };
  return {
    onResponse: (ex, status, body) => metrics.onResponse(ex, status, body),
    routes: [
      // The front serves POST / (the ingest alias); the router merges the two.
      { path: '/', methods: { GET: indexHandler } },
      // compress: answered in br or gzip when the client asks (Accept-Encoding).
      { path: '/openapi.json', methods: { GET: openapiHandler }, compress: true },
      { path: '/docs', methods: { GET: docsPage }, compress: true },
      { path: '/docs/:asset', methods: { GET: docsAsset }, compress: true },
      { path: '/metrics', methods: { GET: guard(queryAuth, metricsHandler) }, compress: true },
      { path: '/cluster', methods: { GET: guard(queryAuth, clusterHandler) }, compress: true },
      { path: '/dashboard', methods: { GET: dashboard.page }, compress: true },
      { path: '/dashboard/events', methods: { GET: dashboard.events } },
      { path: '/dashboard/:asset', methods: { GET: dashboard.asset }, compress: true },
    ],
  };
}
