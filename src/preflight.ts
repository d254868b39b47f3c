import { loadConfig } from './config.js';
import { ensureLayout } from './data-dir.js';
import { runMain } from './process.js';

/**
 * Run by `npm start` before pm2: a bad setting or a DATA_DIR written with another SHARDS stops
 * the start here with one line and a non-zero exit, instead of pm2 restarting failing apps forever.
 */
runMain(
  'preflight',
  () => {
    const config = loadConfig();
    ensureLayout(config.dataDir, config.shards);
  },
  (message) => console.error(`cannot start: ${message}`),
);
