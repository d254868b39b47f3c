import { mkdirSync } from 'node:fs';
import uWS from 'uWebSockets.js';
import { loadClusterConfig } from '../cluster/config.js';
import { loadConfig } from '../config.js';
import { ensureLayout } from '../data-dir.js';
import { initLogger } from '../log.js';
import { Cors, createHttpApp, Router, unavailable } from '../http/index.js';
import { createOps } from '../ops/routes.js';
import { exitWithParent, onShutdownSignal, runMain } from '../process.js';
import { ShardSet } from '../transport/shard-set.js';
import { frontRoutes } from './app.js';

/**
 * The front process, and the composition root: the shards' transport, the API's routes and the
 * operator surface wired onto one HTTP app on HOST:PORT. (Nothing else imports both front and ops.)
 */
async function main(): Promise<void> {
  const frontLog = initLogger('front');
  const config = loadConfig();
  const log = (msg: string): void => frontLog.info(msg);
  // Cluster mode (NATS_URL set): partitions routed to their owners, its own /readyz, GET /cluster.
  const clusterConfig = loadClusterConfig();
  // (imported only then: embedded mode loads no NATS client)
  const cluster = clusterConfig
    ? await (await import('../cluster/routing/front.js')).clusterFront(config, clusterConfig, (msg) => frontLog.warn(msg))
    : undefined;
  if (cluster) mkdirSync(config.dataDir, { recursive: true });
  else ensureLayout(config.dataDir, config.shards);
  const shards = cluster?.backend ?? new ShardSet(config, (msg) => frontLog.warn(msg));
  let stopping = false;
  const ops = createOps(config, shards, () => router.describe(), cluster?.view);
  const replaced = new Set((cluster?.routes ?? []).map((r) => r.path));
  const router = new Router([...(cluster?.routes ?? []), ...frontRoutes(config, shards).filter((r) => !replaced.has(r.path)), ...ops.routes]);
  const app = createHttpApp(router, {
    onResponse: ops.onResponse,
    cors: config.corsOrigins ? new Cors(config.corsOrigins) : null,
    // Draining for shutdown: in-flight requests finish, new ones are turned away to retry.
    admit: (url) => {
      if (stopping && url !== '/healthz') throw unavailable('The service is shutting down and did not handle this request; retry it once the service is back');
    },
  });

  app.listen(config.host, config.port, (socket) => {
    if (!socket) {
      frontLog.fatal(`cannot listen on ${config.host}:${config.port} (PORT/HOST): is another process using it?`);
      process.exit(1);
    }
    log(
      `listening on http://${config.host}:${config.port}, ${config.shards} shards, ` +
        (clusterConfig
          ? `cluster "${clusterConfig.cluster}" as ${clusterConfig.nodeId} (${clusterConfig.partitions} partitions)`
          : `data in ${config.dataDir}`),
    );
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      log(`stopping (${why})`);
      uWS.us_listen_socket_close(socket);
      // Requests already sent to shards get their answers; the shards drain before exiting too.
      const waitForDrain = setInterval(() => {
        if (shards.unanswered === 0) {
          clearInterval(waitForDrain);
          shards.close();
          app.close();
          log('stopped');
          process.exit(0);
        }
      }, 10);
    };
    onShutdownSignal(stop);
    exitWithParent(() => stop('parent exited'));
  });
}

runMain('front', main);
