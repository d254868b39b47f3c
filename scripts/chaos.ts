/**
 * `npm run chaos -- --duration S [--seed N] [...]`: the service under pm2-runtime, a viewer load
 * with an exact oracle, and random SIGKILLs of shards, the front and the whole service, plus one
 * SIGSTOP of a shard; then every acknowledged event must be counted exactly once. See
 * scripts/chaos/. Exit status: 0 pass, 1 any loss, double count or mismatch, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { CLUSTER_DEFAULTS, formatClusterReport, runClusterChaos } from './chaos/cluster-run.js';
import { DEFAULTS, formatReport, runChaos } from './chaos/run.js';

const USAGE = `Usage: npm run chaos -- [options]

  --duration S     seconds of load and faults                          [${DEFAULTS.durationS}]
  --seed N         seed of the load and of the fault schedule             [${DEFAULTS.seed}]
  --shards N       shard processes                                        [${DEFAULTS.shards}]
  --viewers N      concurrent sequential viewers (1-2 users each)        [${DEFAULTS.viewers}]
  --movies N       movies                                                 [${DEFAULTS.movies}]
  --ack-timeout MS ACK_TIMEOUT_MS of the service                        [${DEFAULTS.ackTimeoutMs}]
  --gap A-B        seconds between faults                         [${DEFAULTS.gapS.join('-')}]
  --weights S,F,W  weights of shard, front and whole-service kills   [${DEFAULTS.weights.shard},${DEFAULTS.weights.front},${DEFAULTS.weights.whole}]
  --keep-data      keep the DATA_DIR (its path is printed)

  --cluster        cluster mode instead (CONTRACT §6): 3 NATS servers (nats-server >= 2.10: NATS_SERVER or
                   scripts/install-nats-server.sh) and two hosts; faults: host kill -9 with its DATA_DIR
                   deleted, host SIGTERM, member kill -9, NATS server kill -9 + restart, one member SIGSTOP
                   past its lease; defaults there: --duration ${CLUSTER_DEFAULTS.durationS} --ack-timeout ${CLUSTER_DEFAULTS.ackTimeoutMs} --gap ${CLUSTER_DEFAULTS.gapS.join('-')}
  --partitions N   cluster mode: PARTITIONS                              [${CLUSTER_DEFAULTS.partitions}]`;

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw) || !(n > 0)) fail(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      duration: { type: 'string' },
      seed: { type: 'string' },
      shards: { type: 'string' },
      viewers: { type: 'string' },
      movies: { type: 'string' },
      'ack-timeout': { type: 'string' },
      gap: { type: 'string' },
      weights: { type: 'string' },
      'keep-data': { type: 'boolean' },
      cluster: { type: 'boolean' },
      partitions: { type: 'string' },
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
const gap = (args.gap ?? DEFAULTS.gapS.join('-')).split('-').map(Number);
if (gap.length !== 2 || !(gap[0]! > 0) || !(gap[1]! >= gap[0]!)) fail(`--gap must be A-B seconds, got ${JSON.stringify(args.gap)}`);
const weights = (args.weights ?? '').split(',').map(Number);
if (args.weights !== undefined && (weights.length !== 3 || weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0))) {
  fail(`--weights must be three numbers S,F,W, got ${JSON.stringify(args.weights)}`);
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\nSIGINT: stopping the faults and the load, then verifying and cleaning up (again to quit now)\n');
});

const options = {
  ...DEFAULTS,
  durationS: positive('duration', args.duration, DEFAULTS.durationS),
  seed: Math.floor(positive('seed', args.seed, DEFAULTS.seed)),
  shards: Math.floor(positive('shards', args.shards, DEFAULTS.shards)),
  viewers: Math.floor(positive('viewers', args.viewers, DEFAULTS.viewers)),
  movies: Math.floor(positive('movies', args.movies, DEFAULTS.movies)),
  ackTimeoutMs: Math.floor(positive('ack-timeout', args['ack-timeout'], DEFAULTS.ackTimeoutMs)),
  gapS: [gap[0]!, gap[1]!] as [number, number],
  weights: args.weights === undefined ? DEFAULTS.weights : { shard: weights[0]!, front: weights[1]!, whole: weights[2]! },
  keepData: args['keep-data'] ?? false,
  log: (line: string) => void process.stderr.write(`${line}\n`),
  aborted: () => interrupted,
};

if (args.cluster) {
  const d = CLUSTER_DEFAULTS;
  const clusterGap = args.gap === undefined ? d.gapS : ([gap[0]!, gap[1]!] as [number, number]);
  runClusterChaos({
    ...d,
    durationS: positive('duration', args.duration, d.durationS),
    seed: Math.floor(positive('seed', args.seed, d.seed)),
    shards: Math.floor(positive('shards', args.shards, d.shards)),
    partitions: Math.floor(positive('partitions', args.partitions, d.partitions)),
    viewers: Math.floor(positive('viewers', args.viewers, d.viewers)),
    movies: Math.floor(positive('movies', args.movies, d.movies)),
    ackTimeoutMs: Math.floor(positive('ack-timeout', args['ack-timeout'], d.ackTimeoutMs)),
    gapS: clusterGap,
    log: (line: string) => void process.stderr.write(`${line}\n`),
    aborted: () => interrupted,
  }).then(
    (report) => {
      for (const line of formatClusterReport(report)) process.stdout.write(`${line}\n`);
      process.exitCode = report.problems.length === 0 ? 0 : 1;
    },
    (err: unknown) => {
      console.error('chaos: internal error:', err);
      process.exitCode = 1;
    },
  );
} else {
  runChaos(options).then(
    (report) => {
      for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
      if (options.keepData) process.stdout.write(`data kept in ${report.dataDir}\n`);
      if (report.outputTail) process.stderr.write(`--- service output (tail) ---\n${report.outputTail}\n`);
      process.exitCode = report.problems.length === 0 ? 0 : 1;
    },
    (err: unknown) => {
      console.error('chaos: internal error:', err);
      process.exitCode = 1;
    },
  );
}
