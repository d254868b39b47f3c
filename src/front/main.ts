import uWS from 'uWebSockets.js';
import { ConfigError, loadConfig } from '../config.js';
import { ensureLayout, LayoutError } from '../data-dir.js';
import { initLogger, logger } from '../log.js';
import { exitWithParent, onShutdownSignal } from '../process.js';
import { createApp } from './app.js';
import { ShardSet } from './shard-set.js';

/** The front process: HTTP on HOST:PORT, events and queries routed to the shard processes. */
function main(): void {
  const frontLog = initLogger('front');
  const config = loadConfig();
  const log = (msg: string): void => frontLog.info(msg);
  ensureLayout(config.dataDir, config.shards);
  const shards = new ShardSet(config, (msg) => frontLog.warn(msg));
  let stopping = false;
  const app = createApp(config, shards, () => stopping);

  app.listen(config.host, config.port, (socket) => {
    if (!socket) {
      frontLog.fatal(`cannot listen on ${config.host}:${config.port} (PORT/HOST): is another process using it?`);
      process.exit(1);
    }
    log(`listening on http://${config.host}:${config.port}, ${config.shards} shards, data in ${config.dataDir}`);
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      log(`stopping (${why})`);
      uWS.us_listen_socket_close(socket);
      // Requests already sent to shards get their answers; the shards drain before exiting too.
      const waitForDrain = setInterval(() => {
        if (shards.clients.every((c) => c.unanswered === 0)) {
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

try {
  main();
} catch (err) {
  const known = err instanceof ConfigError || err instanceof LayoutError;
  if (known) logger().fatal((err as Error).message);
  else logger().fatal({ err }, `front failed: ${(err as Error)?.message ?? String(err)}`);
  process.exit(known ? 78 : 1);
}
