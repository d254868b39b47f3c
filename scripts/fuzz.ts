/**
 * `npm run fuzz -- [--requests N] [--seed N] [--concurrency N]`: random and mutated requests at a
 * fresh service (see scripts/fuzz/). Exit status: 0 pass, 1 any crash, hang, contract violation or
 * state difference, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { formatFuzz, FUZZ_DEFAULTS, runFuzz } from './fuzz/run.js';

const USAGE = `Usage: npm run fuzz -- [options]

  --requests N     requests to send                               [100000]
  --seed N         seed of every generated request                  [${FUZZ_DEFAULTS.seed}]
  --concurrency N  connections at once                              [${FUZZ_DEFAULTS.concurrency}]
  --timeout MS     an answer must come within this                  [${FUZZ_DEFAULTS.timeoutMs}]`;

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      requests: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1) fail(`--${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
};

const options = {
  ...FUZZ_DEFAULTS,
  requests: int('requests', args.requests, 100_000),
  seed: int('seed', args.seed, FUZZ_DEFAULTS.seed),
  concurrency: Math.max(2, int('concurrency', args.concurrency, FUZZ_DEFAULTS.concurrency)),
  timeoutMs: int('timeout', args.timeout, FUZZ_DEFAULTS.timeoutMs),
  progressEvery: 10_000,
  log: (line: string) => void process.stderr.write(`${line}\n`),
};

runFuzz(options).then(
  (result) => {
    for (const line of formatFuzz(result)) process.stdout.write(`${line}\n`);
    if (result.outputTail) process.stderr.write(`--- service output (tail) ---\n${result.outputTail}\n`);
    process.exitCode = result.problems.length === 0 ? 0 : 1;
  },
  (err: unknown) => {
    console.error('fuzz: internal error:', err);
    process.exitCode = 1;
  },
);
