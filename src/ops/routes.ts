import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { responseHook, type Exchange } from '../front/http.js';
import type { ShardSet } from '../front/shard-set.js';
import { Dashboard } from './dashboard/server.js';
import { docsAsset, docsPage } from './docs.js';
import { Metrics } from './metrics.js';
import { documentFor } from './openapi.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The operator surface's handlers, for the router table in front/app.ts: /openapi.json, /docs,
 * /metrics, /dashboard. Also hooks the metrics onto every answered request.
 * `served` lists the router's routes (for the OpenAPI document's check against them).
 */
export function createOps(config: Config, shards: ShardSet, served: () => { path: string; methods: string[] }[]) {
  const metrics = new Metrics(shards);
  responseHook.onResponse = (ex, status, body) => metrics.onResponse(ex, status, body);
  const dashboard = new Dashboard(shards, metrics, config.queryToken);
  let openapi: string | null = null;
  return {
    openapi: (ex: Exchange): void => {
      openapi ??= JSON.stringify(documentFor(served(), VERSION));
      ex.send(200, 'application/json', openapi);
    },
    docsPage,
    docsAsset,
    metrics: (ex: Exchange): void => {
      metrics.text().then(
        (text) => ex.send(200, metrics.contentType, text),
        (err: unknown) => ex.error(err),
      );
    },
    dashboardPage: dashboard.page,
    dashboardAsset: dashboard.asset,
    dashboardEvents: dashboard.events,
  };
}
