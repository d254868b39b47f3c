import { parseArgs } from 'node:util';
import { clusterCommand } from './wt/cluster.js';
import { exportPairs } from './wt/export.js';
import { reshard } from './wt/reshard.js';
import { snapshot } from './wt/snapshot.js';
import { status } from './wt/status.js';
import { WtError } from '../src/errors.js';
import { UsageError } from './wt/common.js';
import { verify } from './wt/verify.js';

const USAGE = `usage: npm run wt -- <command> [options]

  status                 per shard: state, log sequence, snapshot age, users, pairs (asks the running shards)
  snapshot               every running shard takes a snapshot now, and waits for it
  verify                 checks every log record and snapshot in DATA_DIR (offline or online); exit 1 on damage
  export [--format F]    every pair as ndjson (default) or csv on stdout (offline or online, read-only)
  reshard --to N         re-distributes DATA_DIR over N shards; only while the service is stopped
  cluster status         cluster mode: hosts, partitions (owner, log and snapshot sequence), NATS streams and
                         leaders, read from NATS (NATS_URL, CLUSTER, PARTITIONS as the hosts have them)

options:
  --data-dir DIR         the service's DATA_DIR [env DATA_DIR, else ./data]
  --json                 status, snapshot, verify: machine-readable output
  --timeout-ms MS        status, snapshot: how long to wait for a shard [5000; snapshot 60000]
  --delete-old           reshard: delete the old shard environments instead of keeping a backup`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      format: { type: 'string', default: 'ndjson' },
      to: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'delete-old': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'cluster') {
    if (rest.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(rest[1])}`);
    return clusterCommand(rest[0], { json: values.json });
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UsageError('--timeout-ms must be a positive number');
  const common = { dataDir: values['data-dir'], json: values.json };
  switch (command) {
    case 'status':
      return status({ ...common, timeoutMs: timeoutMs ?? 5000 });
    case 'snapshot':
      return snapshot({ ...common, timeoutMs: timeoutMs ?? 60_000 });
    case 'verify':
      return verify(common);
    case 'export': {
      const format = values.format;
      if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format must be ndjson or csv');
      return exportPairs({ ...common, format });
    }
    case 'reshard': {
      const to = Number(values.to);
      if (values.to === undefined || !/^[0-9]+$/.test(values.to) || to < 1 || to > 1024) throw new UsageError('reshard needs --to N, a whole number 1..1024');
      return reshard({ ...common, to, deleteOld: values['delete-old'] });
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`wt: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof WtError) {
      // CommandError, or a service error with its reason (a bad setting, a layout.json that is not one)
      console.error(`wt: ${err.message}`);
      process.exitCode = err.exitCode ?? 1;
    } else {
      console.error('wt: unexpected error:', err);
      process.exitCode = 1;
    }
  },
);
