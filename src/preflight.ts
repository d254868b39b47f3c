import { ConfigError, loadConfig } from './config.js';
import { ensureLayout, LayoutError } from './data-dir.js';

/**
 * Run by `npm start` before pm2: a bad setting or a DATA_DIR written with another SHARDS stops
 * the start here with one line and a non-zero exit, instead of pm2 restarting failing apps forever.
 */
try {
  const config = loadConfig();
  ensureLayout(config.dataDir, config.shards);
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof LayoutError)) throw err;
  console.error(`cannot start: ${err.message}`);
  process.exit(78);
}
