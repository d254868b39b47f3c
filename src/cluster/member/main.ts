import { mkdirSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../config.js';
import { socketPath } from '../../data-dir.js';
import { initLogger, logger } from '../../log.js';
import { exitWithParent, onShutdownSignal, runMain } from '../../process.js';
import { Kind, packr, type Hello, type Query, type ShardFailure, type ShardMetrics, type ShardStatus } from '../../protocol/index.js';
import { listenFrames } from '../../transport/server.js';
import { loadClusterConfig } from '../config.js';
import { Coordinator } from '../coordinator.js';
import { memberId, memberSubject } from '../names.js';
import { decodeMessage, encodeMessage } from '../wire.js';
import { connectEngine } from '../connect.js';
import { PartitionUnavailable, Partitions } from './partitions.js';

/** Partition snapshots in cluster mode: at least this often, so a takeover replays little. */
const MAX_SNAPSHOT_EVERY_MS = 10_000;
const MAX_SNAPSHOT_EVERY_EVENTS = 200_000;

/**
 * A shard process in cluster mode (NATS_URL set): a member of the cluster. No LMDB: its
 * partitions' log and snapshots live in the engine, DATA_DIR only holds its socket. It joins
 * through the coordinator, loads the partitions its leases give it, and serves their requests
 * from the front of its own host (Unix socket) and from the fronts of other hosts (NATS
 * request/reply on its member subject), with one handler for both.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const cluster = loadClusterConfig();
  if (!cluster) throw new ConfigError('the cluster member needs NATS_URL (without it, run src/shard/main.js)');
  const shard = Number(process.env.SHARD_ID ?? process.env.NODE_APP_INSTANCE ?? 0);
  if (!Number.isInteger(shard) || shard < 0 || shard >= config.shards) {
    throw new ConfigError(`shard id ${shard} is outside 0..${config.shards - 1} (SHARDS=${config.shards})`);
  }
  const id = memberId(cluster.nodeId, shard);
  const log = initLogger('shard', { shard, member: id });
  mkdirSync(config.dataDir, { recursive: true });

  const engine = await connectEngine({ ...cluster, nodeId: id }, { spreadLeaders: false });
  const subject = memberSubject(engine.names, id);
  const leases = engine.leaseManager();
  const members = engine.memberRegistry({
    id,
    address: subject,
    since: Date.now(),
    node: cluster.nodeId,
    shard,
    http: `${config.host}:${config.port}`,
    serving: [],
  });
  const partitions = new Partitions({
    config,
    engine,
    leases,
    member: id,
    snapshotEveryEvents: Math.min(config.snapshotEveryEvents, MAX_SNAPSHOT_EVERY_EVENTS),
    snapshotEveryMs: Math.min(config.snapshotEveryMs, MAX_SNAPSHOT_EVERY_MS),
  });
  const coordinator = new Coordinator({
    partitions: engine.names.partitions,
    leases,
    members,
    handler: partitions,
    log: (event, fields) => log.info(fields, event),
    settleMs: engine.timings.heartbeatEveryMs,
  });
  partitions.onChange = () => void members.update({ serving: partitions.serving() }).catch(() => {});
  partitions.onRelinquish = (p, why) => void coordinator.relinquish(p, why).catch(() => {});

  const status = (): ShardStatus => ({ shard, pid: process.pid, ...partitions.totals() });
  const metrics = (): ShardMetrics => ({
    ...status(),
    rssBytes: process.memoryUsage.rss(),
    heapUsedBytes: process.memoryUsage().heapUsed,
    uncommittedFrames: 0,
    uptimeSeconds: process.uptime(),
    cluster: { member: id, owned: coordinator.owned().length, serving: partitions.serving().length, ...coordinator.stats, ...partitions.stats },
  });

  let stopping = false;
  /** One request from either transport; resolves with the reply's kind and body. */
  const handle = async (kind: number, body: Buffer): Promise<[number, Uint8Array]> => {
    try {
      if (kind === Kind.Ingest) {
        if (stopping) throw new PartitionUnavailable(`member ${id} is shutting down`);
        return [Kind.Ack, packr.pack(await partitions.ingest(body))];
      }
      if (kind === Kind.Query) {
        const q = packr.unpack(body) as Query;
        if (q.op === 'status') return [Kind.Result, packr.pack(status())];
        if (q.op === 'metrics') return [Kind.Result, packr.pack(metrics())];
        if (q.op === 'snapshot') {
          partitions.snapshotAll();
          return [Kind.Result, packr.pack({ requestedAt: Date.now(), appliedSeq: status().logSeq })];
        }
        return [Kind.Result, packr.pack(await partitions.query(q))];
      }
      return [Kind.Failure, packr.pack({ code: 'bad_request', message: `unknown frame kind ${kind}` } satisfies ShardFailure)];
    } catch (err) {
      if (err instanceof PartitionUnavailable) return [Kind.Failure, packr.pack(err.failure)];
      logger().error({ err }, 'request failed');
      return [Kind.Failure, packr.pack({ code: 'bad_request', message: `request failed: ${(err as Error).message}` } satisfies ShardFailure)];
    }
  };

  const hello = packr.pack({ shard, shards: config.shards, pid: process.pid } satisfies Hello);
  const server = await listenFrames(
    socketPath(config.dataDir, shard),
    (kind, reqId, body, reply) => void handle(kind, body).then(([k, b]) => reply(k, reqId, b)),
    (reply) => reply(Kind.Hello, 0, hello),
  );
  const sub = engine.nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      let request;
      try {
        request = decodeMessage(msg.data);
      } catch {
        return;
      }
      void handle(request.kind, request.body).then(([k, b]) => msg.respond(encodeMessage(k, b)));
    },
  });
  log.info(`member ${id} of cluster "${cluster.cluster}" (${engine.names.partitions} partitions) on ${socketPath(config.dataDir, shard)} and ${subject}`);

  await coordinator.start();
  partitions.startSnapshots();
  log.info(`member ${id} joined; serving partitions ${partitions.serving().join(',') || 'none yet'}`);

  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${why}): handing over ${coordinator.owned().length} partitions`);
    partitions.stopSnapshots();
    await coordinator.stop().catch((err: unknown) => log.error({ err }, 'hand-over failed; the leases expire instead'));
    sub.unsubscribe();
    server.close();
    await engine.close();
    log.info('stopped');
    process.exit(0);
  };
  onShutdownSignal((signal) => void stop(signal));
  exitWithParent(() => void stop('parent exited'));
}

runMain('shard', main);
