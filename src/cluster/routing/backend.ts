import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config.js';
import {
  isMovieRecord,
  Kind,
  packr,
  type FrontBackend,
  type IngestRecord,
  type PartitionIngest,
  type Query,
  type QueryResults,
  type ShardFailure,
  type ShardLink,
} from '../../protocol/index.js';
import { ShardRejected, ShardUnavailable } from '../../transport/client.js';
import { IngestBatcher } from '../../transport/ingest-batcher.js';
import { ShardSet } from '../../transport/shard-set.js';
import type { ClusterConfig } from '../config.js';
import { connectEngine } from '../connect.js';
import type { Engine } from '../engine.js';
import { memberId, partitionOf } from '../names.js';
import { MemberLink } from './member-link.js';
import { OwnershipTable } from './ownership.js';

/**
 * A frame to a member over NATS must stay under the server's max_payload (1 MiB by default): a
 * frame holds at most this many events (one request of MAX_BATCH events always fits on its own).
 */
const REMOTE_FRAME_EVENTS = 1000;
/**
 * A partition with no known holder is usually mid hand-over (a host joined or left) and the table
 * is up to a second old: before answering 503, read the table again, every 150 ms for up to 1.5 s.
 * Nothing was sent yet, so waiting is safe for ingest and queries alike.
 */
const NO_OWNER_RECHECK_MS = 150;
const NO_OWNER_PATIENCE_MS = 1500;

/** Where one partition's requests go: a shard process of this host, or a member of another. */
interface Target {
  ingest(batch: IngestRecord[number], events: number): Promise<number>;
  query<Q extends Query>(q: Q): Promise<QueryResults[Q['op']]>;
  request(kind: number, body: Uint8Array, weight: number): Promise<Buffer>;
}

/** Gathering queries answered per member for exactly the partitions the table gives it. */
const SCOPED = new Set<Query['op']>(['movies', 'top', 'movie', 'retention', 'series']);

/**
 * The front's Backend in cluster mode. A user's requests go to its partition's owner (the lease
 * holder in the ownership table): over the existing Unix socket when the owner is a shard process
 * of this host, else over NATS request/reply to the owning member, with the same ack timeout,
 * in-flight bound and 503 + Retry-After. No owner, or an owner that refuses (changing hands),
 * is a 503. Movie and top queries gather one partial per member, each member answering for
 * exactly the partitions the table gives it (or refusing), so no partition is counted twice or
 * left out. Queries about a process (status, metrics, latest, snapshot) go to this host's shard
 * `key`, as in embedded mode, so the operator surface works unchanged.
 */
export class ClusterBackend implements FrontBackend {
  private readonly remotes = new Map<string, { link: MemberLink; target: Target }>();
  private readonly locals: Target[];

  private constructor(
    readonly config: Config,
    readonly cluster: ClusterConfig,
    readonly engine: Engine,
    readonly local: ShardSet,
    readonly table: OwnershipTable,
  ) {
    this.locals = local.clients.map((client, k) => ({
      ingest: (batch, events) => local.ingest(k, batch, events),
      query: (q) => local.query(k, q),
      request: (kind, body, weight) => client.request(kind, body, weight, true),
    }));
  }

  /** Connects to the engine (refusing a PARTITIONS mismatch or an old server) and reads the ownership table once. */
  static async start(config: Config, cluster: ClusterConfig, log: (msg: string) => void): Promise<ClusterBackend> {
    const engine = await connectEngine({ ...cluster, nodeId: `${cluster.nodeId}-front` });
    const table = new OwnershipTable(engine);
    await table.start();
    return new ClusterBackend(config, cluster, engine, new ShardSet(config, log), table);
  }

  get partitions(): number {
    return this.engine.names.partitions;
  }

  get keyCount(): number {
    return this.partitions;
  }

  get links(): readonly ShardLink[] {
    return this.local.links;
  }

  get notReady(): number[] {
    return this.local.notReady;
  }

  /** Requests still waiting for an answer from a member (local or remote). */
  get unanswered(): number {
    let n = this.local.unanswered;
    for (const r of this.remotes.values()) n += r.link.unanswered;
    return n;
  }

  shardOf(user: string): number {
    return partitionOf(user, this.partitions);
  }

  ingest(partition: number, batch: IngestRecord[number], events: number): Promise<number> {
    const send = (target: Target): Promise<number> =>
      // A catalogue record names no user: it goes to its partition by number.
      (isMovieRecord(batch) ? this.ingestInto(target, partition, batch) : target.ingest(batch, events)).catch((err: unknown) => this.refused(err));
    let target: Target | null;
    try {
      target = this.known(partition);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return target ? send(target) : this.awaitOwner(partition).then(send);
  }

  private async ingestInto(target: Target, partition: number, batch: IngestRecord[number]): Promise<number> {
    const body = packr.pack({ partition, record: [batch] } satisfies PartitionIngest);
    const [answer] = packr.unpack(await target.request(Kind.PartitionIngest, body, 1)) as (number | ShardFailure)[];
    if (typeof answer === 'number') return answer;
    throw new ShardRejected(answer ?? { code: 'unavailable', message: `no answer for partition ${partition}` });
  }

  async query<Q extends Query>(key: number, q: Q): Promise<QueryResults[Q['op']]> {
    if ('user' in q) {
      const partition = partitionOf(q.user, this.partitions);
      const target = this.known(partition) ?? (await this.awaitOwner(partition));
      return target.query(q).catch((err: unknown) => this.refused(err));
    }
    return this.local.query(key, q);
  }

  /** One request per owning member, each for exactly its partitions (movies and top); 503 if any partition has no owner. */
  async queryAll<Q extends Query>(q: Q): Promise<QueryResults[Q['op']][]> {
    let { groups, unowned } = this.table.byHolder();
    for (let waited = 0; unowned.length > 0 && waited < NO_OWNER_PATIENCE_MS; waited += NO_OWNER_RECHECK_MS) {
      await sleep(NO_OWNER_RECHECK_MS);
      await this.table.refresh().catch(() => {});
      ({ groups, unowned } = this.table.byHolder());
    }
    if (unowned.length > 0) throw new ShardUnavailable(`partitions ${unowned.join(', ')} have no owner right now (a host joined, left or failed)`);
    const scoped = SCOPED.has(q.op);
    return Promise.all(
      [...groups].map(([member, partitions]) =>
        this.targetOf(member)
          .query(scoped ? { ...q, partitions } : q)
          .catch((err: unknown) => this.refused(err)),
      ),
    );
  }

  close(): void {
    this.table.stop();
    this.local.close();
    void this.engine.close();
  }

  /** The partition's owner as the table knows it now, or null when it knows none. */
  private known(partition: number): Target | null {
    const holder = this.table.holder(partition);
    return holder === undefined ? null : this.targetOf(holder);
  }

  /** The owner once the table names one (re-read for up to NO_OWNER_PATIENCE_MS), else 503. */
  private async awaitOwner(partition: number): Promise<Target> {
    for (let waited = 0; waited < NO_OWNER_PATIENCE_MS; waited += NO_OWNER_RECHECK_MS) {
      await sleep(NO_OWNER_RECHECK_MS);
      await this.table.refresh().catch(() => {});
      const target = this.known(partition);
      if (target) return target;
    }
    throw new ShardUnavailable(`partition ${partition} has no owner right now (a host joined, left or failed)`);
  }

  private targetOf(member: string): Target {
    for (let k = 0; k < this.locals.length; k++) if (member === memberId(this.cluster.nodeId, k)) return this.locals[k]!;
    let remote = this.remotes.get(member);
    if (!remote) {
      const subject = this.table.member(member)?.address;
      if (!subject) {
        this.table.refreshSoon();
        throw new ShardUnavailable(`member ${member} holds the partition but is not registered (gone, or just starting)`);
      }
      const link = new MemberLink(this.engine.nc, member, subject, {
        ackTimeoutMs: this.config.ackTimeoutMs,
        maxInflightEvents: this.config.maxInflightEvents,
      });
      const batcher = new IngestBatcher(link, REMOTE_FRAME_EVENTS);
      remote = {
        link,
        target: {
          ingest: (batch, events) => batcher.add(batch, events),
          query: async (q) => packr.unpack(await link.request(Kind.Query, packr.pack(q), 1)) as never,
          request: (kind, body, weight) => link.request(kind, body, weight),
        },
      };
      this.remotes.set(member, remote);
    }
    return remote.target;
  }

  /** A member refused or did not answer: the table may be stale, read it again soon. */
  private refused(err: unknown): never {
    if (err instanceof ShardUnavailable || err instanceof ShardRejected) this.table.refreshSoon();
    throw err;
  }
}
