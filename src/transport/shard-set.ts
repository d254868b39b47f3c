import type { Config } from '../config.js';
import { socketPath } from '../data-dir.js';
import { shardOf } from '../hash.js';
import { Kind, packr, type FrontBackend, type IngestRecord, type Query, type QueryResults, type ShardLink } from '../protocol/index.js';
import { ShardClient } from './client.js';
import { IngestBatcher } from './ingest-batcher.js';

/**
 * Clients for all shards over their Unix sockets: routing by user, fan-out. Failures are the
 * transport's (ShardUnavailable, ShardRejected); the front turns them into API errors.
 */
export class ShardSet implements FrontBackend {
  readonly clients: ShardClient[];
  private readonly batchers: IngestBatcher[];

  constructor(
    readonly config: Config,
    log: (msg: string) => void = () => {},
  ) {
    const options = { shards: config.shards, ackTimeoutMs: config.ackTimeoutMs, maxInflightEvents: config.maxInflightEvents };
    this.clients = Array.from({ length: config.shards }, (_, k) => new ShardClient(k, socketPath(config.dataDir, k), options, log));
    this.batchers = this.clients.map((c) => new IngestBatcher(c));
  }

  get links(): readonly ShardLink[] {
    return this.clients;
  }

  get keyCount(): number {
    return this.config.shards;
  }

  shardOf(user: string): number {
    return shardOf(user, this.config.shards);
  }

  /** Requests whose answer still waits on a shard (what a graceful stop drains). */
  get unanswered(): number {
    return this.clients.reduce((n, c) => n + c.unanswered, 0);
  }

  get notReady(): number[] {
    return this.clients.filter((c) => !c.ready).map((c) => c.shard);
  }

  /** Waits until every shard has said hello, or the timeout; returns the shards that did not. */
  async waitReady(timeoutMs: number): Promise<number[]> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && this.clients.some((c) => !c.ready)) await new Promise((r) => setTimeout(r, 20));
    return this.notReady;
  }

  /**
   * Sends one request's events (or a movie record) for `shard`; resolves with the accepted count
   * once durable.
   */
  ingest(shard: number, batch: IngestRecord[number], events: number): Promise<number> {
    return this.batchers[shard]!.add(batch, events);
  }

  async query<Q extends Query>(shard: number, q: Q): Promise<QueryResults[Q['op']]> {
    return packr.unpack(await this.clients[shard]!.request(Kind.Query, packr.pack(q), 1)) as QueryResults[Q['op']];
  }

  /** The same query to every shard; one failing shard fails the whole (a partial sum would be wrong). */
  queryAll<Q extends Query>(q: Q): Promise<QueryResults[Q['op']][]> {
    const body = packr.pack(q);
    return Promise.all(this.clients.map(async (c) => packr.unpack(await c.request(Kind.Query, body, 1)) as QueryResults[Q['op']]));
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
