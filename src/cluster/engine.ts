import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ClusterConfig } from './config.js';
import { EngineError } from './errors.js';
import { checkStream, ensureStream, logStreamConfig, msToNanos } from './provision.js';
import { leaseBucket, logStreamName, logStreamSubjects, memberBucket, metaBucket, names, snapshotBucket, type Names } from './names.js';
import { Leases } from './leases.js';
import { Members, type Member } from './members.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';
import { Snapshots } from './snapshots.js';
import { DEFAULT_TIMINGS, type Timings } from './timings.js';
import { checkServerVersion } from './version.js';

export type EngineConfig = Pick<ClusterConfig, 'natsUrls' | 'cluster' | 'nodeId' | 'partitions' | 'replicas'>;

export interface EngineOptions {
  timings?: Timings;
  /** JetStream API request timeout. */
  apiTimeoutMs?: number;
  /** Called when the engine can no longer be used (a reconnect to a server older than 2.10). */
  onFatal?: (err: Error) => void;
  /** Step down stream leaders until they are spread over the servers (default true). */
  spreadLeaders?: boolean;
}

/** What the cluster records about itself on first creation; every host must agree. */
interface Layout {
  partitions: number;
  streams: number;
}

/**
 * The connection to NATS JetStream and the cluster's streams and buckets, created on first start
 * and checked on every start. One per process; everything else in src/cluster works through it.
 */
export class Engine {
  private closed = false;

  private constructor(
    readonly config: EngineConfig,
    readonly names: Names,
    readonly timings: Timings,
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly leases: KV,
    readonly members: KV,
    readonly snapshots: ObjectStore,
  ) {}

  static async connect(config: EngineConfig, opts: EngineOptions = {}): Promise<Engine> {
    const timings = opts.timings ?? DEFAULT_TIMINGS;
    const timeout = opts.apiTimeoutMs ?? 5000;
    let nc: NatsConnection;
    try {
      // noAsyncTraces: the client otherwise builds two Error objects (stack traces) per request
      // and publish to show where a timeout came from: 5–8% of a member's and a front's CPU in
      // the profile under load. Our errors say which partition and member timed out.
      nc = await connect({ servers: config.natsUrls, name: config.nodeId, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout, noAsyncTraces: true });
    } catch (err) {
      throw new EngineError(`cannot connect to NATS at ${config.natsUrls.join(',')} (NATS_URL): ${(err as Error).message}`);
    }
    try {
      checkServerVersion(nc.info?.version, `NATS server ${nc.getServer()}`);
      let jsm: JetStreamManager;
      try {
        jsm = await jetstreamManager(nc, { timeout });
      } catch (err) {
        throw new EngineError(`NATS server ${nc.getServer()} has no JetStream (start it with -js): ${(err as Error).message}`);
      }
      const js = jetstream(nc, { timeout });
      const n = names(config.cluster, config.partitions);
      const kvm = new Kvm(js);

      // The layout first: a host with another PARTITIONS must create nothing.
      const meta = await openBucket(jsm, kvm, metaBucket(n), config.replicas, 0);
      await recordLayout(meta, config.cluster, { partitions: n.partitions, streams: n.streams });

      for (let i = 0; i < n.streams; i++) {
        await ensureStream(jsm, logStreamConfig(logStreamName(n, i), logStreamSubjects(n, i), config.replicas), `log stream ${i}`);
      }
      const leases = await openBucket(jsm, kvm, leaseBucket(n), config.replicas, timings.leaseTtlMs);
      const members = await openBucket(jsm, kvm, memberBucket(n), config.replicas, timings.memberTtlMs);
      const snapshots = await openObjectStore(jsm, new Objm(js), snapshotBucket(n), config.replicas);
      const engine = new Engine(config, n, timings, nc, js, jsm, leases, members, snapshots);
      engine.watchReconnects(opts.onFatal);
      if (opts.spreadLeaders ?? true) await engine.spreadLeaders().catch(() => {});
      return engine;
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  /** The log of one partition: last record, raw stores with the fence, replay, purge. */
  partitionLog(partition: number, opts?: PartitionLogOptions): PartitionLog {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.names.partitions) {
      throw new RangeError(`partition ${partition} is outside 0..${this.names.partitions - 1}`);
    }
    return new PartitionLog(this.js, this.jsm, this.names, partition, opts);
  }

  /** This process's handle on the partition leases. */
  leaseManager(): Leases {
    return new Leases(this.leases, this.config.nodeId, this.timings);
  }

  /** Registration of a member (`id` defaults to NODE_ID) in the member bucket. */
  memberRegistry(self: Partial<Member> = {}): Members {
    return new Members(this.members, { id: this.config.nodeId, address: '', since: Date.now(), ...self }, this.timings);
  }

  snapshotStore(): Snapshots {
    return new Snapshots(this.snapshots);
  }

  /** Leader (server name) of each log stream, '' while a stream has none. */
  async leaders(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < this.names.streams; i++) {
      const name = logStreamName(this.names, i);
      const info = await this.jsm.streams.info(name);
      out.set(name, info.cluster?.leader ?? '');
    }
    return out;
  }

  /**
   * Asks over-loaded servers' stream leaders to step down until no server leads more than its
   * share of log streams: placement alone may put several leaders on one server, which would then
   * carry most appends. The new leader is the servers' pick, so this takes a few bounded rounds.
   */
  async spreadLeaders(rounds = 6): Promise<void> {
    if (this.config.replicas < 2) return;
    for (let r = 0; r < rounds; r++) {
      const leaders = await this.leaders();
      const servers = new Set<string>();
      const info = await this.jsm.streams.info(logStreamName(this.names, 0));
      for (const p of info.cluster?.replicas ?? []) servers.add(p.name);
      if (info.cluster?.leader) servers.add(info.cluster.leader);
      const share = Math.ceil(this.names.streams / Math.max(1, servers.size));
      const load = new Map<string, string[]>();
      for (const [stream, leader] of leaders) load.set(leader, [...(load.get(leader) ?? []), stream]);
      const excess = [...load].filter(([leader, streams]) => leader !== '' && streams.length > share).flatMap(([, streams]) => streams.slice(share));
      if (excess.length === 0) return;
      for (const stream of excess) {
        await this.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5000 }).catch(() => {});
      }
      // A new leader is usually there within a second.
      await new Promise((res) => setTimeout(res, 1000));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.nc.drain().catch(() => this.nc.close());
  }

  /** A reconnect may land on another server: it must be 2.10 or later too. */
  private watchReconnects(onFatal: ((err: Error) => void) | undefined): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type !== 'reconnect') continue;
        try {
          checkServerVersion(this.nc.info?.version, `NATS server ${s.server}`);
        } catch (err) {
          onFatal?.(err as Error);
          await this.close();
          return;
        }
      }
    })();
  }
}

/** A KV bucket with history 1, created if missing, its stream's configuration checked either way. */
async function openBucket(jsm: JetStreamManager, kvm: Kvm, bucket: string, replicas: number, ttlMs: number): Promise<KV> {
  const kv = await retryCreate(`KV bucket ${bucket}`, () => kvm.create(bucket, { replicas, history: 1, ttl: ttlMs, storage: 'file' }));
  const info = await jsm.streams.info(`KV_${bucket}`);
  checkStream(
    info,
    { name: `KV_${bucket}`, num_replicas: replicas, max_msgs_per_subject: 1, max_age: msToNanos(ttlMs), storage: 'file' },
    `KV bucket ${bucket}`,
  );
  return kv;
}

async function openObjectStore(jsm: JetStreamManager, objm: Objm, bucket: string, replicas: number): Promise<ObjectStore> {
  const os = await retryCreate(`object store ${bucket}`, () => objm.create(bucket, { replicas, storage: 'file' }));
  const info = await jsm.streams.info(`OBJ_${bucket}`);
  checkStream(info, { name: `OBJ_${bucket}`, num_replicas: replicas, storage: 'file' }, `object store ${bucket}`);
  return os;
}

/**
 * Creating a bucket that exists with the same configuration just opens it, but processes of a
 * fresh cluster starting together race on the creation and the loser is refused once: try again.
 */
async function retryCreate<T>(what: string, create: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (err) {
      if (attempt >= 5) throw new EngineError(`could not create ${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/**
 * Records PARTITIONS (and the stream count derived from it) the first time; afterwards refuses a
 * host that disagrees. `create` decides who records first; the value never changes after that.
 */
async function recordLayout(meta: KV, cluster: string, want: Layout): Promise<void> {
  try {
    await meta.create('layout', JSON.stringify(want));
    return;
  } catch {
    /* already recorded (or a retry of ours was stored): read it below */
  }
  let have: Layout | undefined;
  // A get may be answered by a follower that has not seen the create yet: retry briefly.
  for (let i = 0; i < 50 && !have; i++) {
    const e = await meta.get('layout');
    if (e && e.operation === 'PUT') have = e.json<Layout>();
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!have) throw new EngineError(`cluster "${cluster}": could not record or read its layout in KV bucket ${cluster}-meta`);
  if (have.partitions !== want.partitions) {
    throw new EngineError(
      `PARTITIONS is ${want.partitions} but cluster "${cluster}" was created with PARTITIONS=${have.partitions}; start with PARTITIONS=${have.partitions}`,
    );
  }
  if (have.streams !== want.streams) {
    throw new EngineError(`cluster "${cluster}" was created with ${have.streams} log streams, this version makes ${want.streams}`);
  }
}
