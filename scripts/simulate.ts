/**
 * `npm run simulate -- [options]`: the viewer simulator (see scripts/simulator/, `--help`).
 * Ctrl-C stops sending and still prints the summary (and verifies what was acknowledged);
 * a second Ctrl-C exits at once.
 */
import { main } from './simulator/main.js';

const stop = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\n${signal}: stopping after the requests in flight (again to quit now)\n`);
    stop.abort();
  });
}

main(process.argv.slice(2), { out: process.stdout, err: process.stderr }, stop.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('simulate: internal error:', err);
    process.exitCode = 1;
  },
);
