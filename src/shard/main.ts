import { ConfigError, loadConfig } from '../config.js';
import { ensureLayout, socketPath } from '../data-dir.js';
import { Kind, packr, type Hello, type Query, type ShardFailure } from '../protocol/index.js';
import { listenFrames } from '../transport/server.js';
import { initLogger, logger } from '../log.js';
import { exitWithParent, onShutdownSignal, runMain } from '../process.js';
import { recover } from './recovery.js';
import { Shard } from './shard.js';
import { openStorage, storageFailure } from './storage.js';

/** A shard process: recover, then serve frames from the front until told to stop. */
async function main(): Promise<void> {
  const config = loadConfig();
  const id = Number(process.env.SHARD_ID ?? process.env.NODE_APP_INSTANCE ?? 0);
  const shardLog = initLogger('shard', { shard: id });
  if (!Number.isInteger(id) || id < 0 || id >= config.shards) {
    throw new ConfigError(`shard id ${id} is outside 0..${config.shards - 1} (SHARDS=${config.shards})`);
  }
  const log = (msg: string): void => shardLog.info(msg);
  ensureLayout(config.dataDir, config.shards);

  const storage = openStorage(config, id);
  const recovered = recover(config, id, storage);
  for (const s of recovered.skippedSnapshots) shardLog.warn({ snapshotSeq: s.seq, reason: s.reason }, `snapshot at seq ${s.seq} skipped: ${s.reason}`);
  const { records, events, ms } = recovered.replayed;
  log(
    `recovered ${recovered.state.pairCount} pairs from ${recovered.snapshot ? `snapshot seq ${recovered.snapshot.seq}` : 'no snapshot'}` +
      ` + ${records} log records (${events} events) in ${ms.toFixed(0)} ms`,
  );
  const shard = new Shard(id, config, storage, recovered.state, recovered.seq, recovered.snapshot);

  let stopping = false;
  const hello = packr.pack({ shard: id, shards: config.shards, pid: process.pid } satisfies Hello);
  const server = await listenFrames(
    socketPath(config.dataDir, id),
    (kind, reqId, body, reply) => {
      if (kind === Kind.Ingest) {
        if (stopping) {
          // Nothing new once draining has begun, so the drain ends; the front answers 503.
          reply(Kind.Failure, reqId, packr.pack({ code: 'unavailable', message: `shard ${id} is shutting down` } satisfies ShardFailure));
          return;
        }
        shard.ingest(body).then(
          (accepted) => reply(Kind.Ack, reqId, packr.pack(accepted)),
          (err: unknown) => reply(Kind.Failure, reqId, packr.pack(storageFailure(err).failure)),
        );
      } else if (kind === Kind.Query) {
        // A query that fails answers its own request; it must not take the connection down.
        try {
          reply(Kind.Result, reqId, packr.pack(shard.query(packr.unpack(body) as Query)));
        } catch (err) {
          logger().error({ err }, 'query failed');
          reply(Kind.Failure, reqId, packr.pack({ code: 'bad_request', message: `query failed: ${(err as Error).message}` } satisfies ShardFailure));
        }
      } else {
        reply(Kind.Failure, reqId, packr.pack({ code: 'bad_request', message: `unknown frame kind ${kind}` } satisfies ShardFailure));
      }
    },
    (reply) => reply(Kind.Hello, 0, hello),
  );
  log(`ready on ${socketPath(config.dataDir, id)}`);

  const timer = setInterval(() => void shard.snapshot().catch(shard.onSnapshotError), config.snapshotEveryMs);
  timer.unref();

  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    server.close();
    clearInterval(timer);
    await shard.drain();
    await shard.snapshot().catch(shard.onSnapshotError);
    await storage.env.close();
    log('stopped');
    process.exit(0);
  };
  onShutdownSignal((signal) => void stop(signal));
  exitWithParent(() => void stop('parent exited'));
}

runMain('shard', main);
