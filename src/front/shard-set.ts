import type { Config } from '../config.js';
import { socketPath } from '../data-dir.js';
import { shardOf } from '../hash.js';
import { ShardClient, ShardRejected, ShardUnavailable } from '../transport/client.js';
import { IngestBatcher } from '../transport/ingest-batcher.js';
import { Kind, packr, type IngestBatch, type Query, type QueryResults } from '../protocol/index.js';
import { ApiError, unavailable } from './errors.js';

/** The front's clients for all shards: routing by user, fan-out, and shard errors as API errors. */
export class ShardSet {
  readonly clients: ShardClient[];
  private readonly batchers: IngestBatcher[];

  constructor(readonly config: Config, log: (msg: string) => void) {
    const options = { shards: config.shards, ackTimeoutMs: config.ackTimeoutMs, maxInflightEvents: config.maxInflightEvents };
    this.clients = Array.from({ length: config.shards }, (_, k) => new ShardClient(k, socketPath(config.dataDir, k), options, log));
    this.batchers = this.clients.map((c) => new IngestBatcher(c));
  }

  shardOf(user: string): number {
    return shardOf(user, this.config.shards);
  }

  get notReady(): number[] {
    return this.clients.filter((c) => !c.ready).map((c) => c.shard);
  }

  /** Sends one request's events for `shard`; resolves with the accepted count once durable. */
  async ingest(shard: number, batch: IngestBatch, events: number): Promise<number> {
    try {
      return await this.batchers[shard]!.add(batch, events);
    } catch (err) {
      throw toApiError(err);
    }
  }

  async query<Q extends Query>(shard: number, q: Q): Promise<QueryResults[Q['op']]> {
    return packr.unpack(await this.call(shard, Kind.Query, packr.pack(q), 1)) as QueryResults[Q['op']];
  }

  /** The same query to every shard; one failing shard fails the whole (a partial sum would be wrong). */
  queryAll<Q extends Query>(q: Q): Promise<QueryResults[Q['op']][]> {
    const body = packr.pack(q);
    return Promise.all(this.clients.map(async (c) => packr.unpack(await this.call(c.shard, Kind.Query, body, 1)) as QueryResults[Q['op']]));
  }

  private async call(shard: number, kind: number, body: Uint8Array, weight: number): Promise<Buffer> {
    try {
      return await this.clients[shard]!.request(kind, body, weight);
    } catch (err) {
      throw toApiError(err);
    }
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

function toApiError(err: unknown): unknown {
  if (err instanceof ShardUnavailable) return unavailable(err.message);
  if (err instanceof ShardRejected) {
    if (err.failure.code === 'insufficient_storage') {
      return new ApiError(507, 'insufficient_storage', `${err.message}; nothing from this request is acknowledged`, {}, { 'Retry-After': '5' });
    }
    return unavailable(err.message);
  }
  return err;
}
