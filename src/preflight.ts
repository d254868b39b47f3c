import { mkdirSync } from 'node:fs';
import { loadClusterConfig } from './cluster/config.js';
import { loadConfig } from './config.js';
import { ensureLayout } from './data-dir.js';
import { runMain } from './process.js';

/**
 * Run by `npm start` before pm2: a bad setting or a DATA_DIR written with another SHARDS stops
 * the start here with one line and a non-zero exit, instead of pm2 restarting failing apps forever.
 * In cluster mode the same for the engine: NATS unreachable or older than 2.10, another PARTITIONS
 * recorded for the cluster, a stream or bucket configured differently.
 */
runMain(
  'preflight',
  async () => {
    const config = loadConfig();
    const cluster = loadClusterConfig();
    if (!cluster) {
      ensureLayout(config.dataDir, config.shards);
      return;
    }
    mkdirSync(config.dataDir, { recursive: true }); // a cache only in cluster mode
    const { connectEngine } = await import('./cluster/connect.js'); // embedded mode loads no NATS client
    const engine = await connectEngine({ ...cluster, nodeId: `${cluster.nodeId}-preflight` }, { spreadLeaders: false });
    await engine.close();
  },
  (message) => console.error(`cannot start: ${message}`),
);
