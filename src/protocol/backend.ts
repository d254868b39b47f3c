import type { IngestRecord } from './ingest.js';
import type { Query, QueryResults } from './queries.js';

/** One shard as the front's connection to it sees it (what /metrics and the dashboard show). */
export interface ShardLink {
  readonly shard: number;
  /** It has said hello: recovered and taking requests. */
  readonly ready: boolean;
  /** Events sent to it and not yet confirmed, plus one per unanswered query (what MAX_INFLIGHT_EVENTS bounds). */
  readonly pendingEvents: number;
  /** Times the connection was (re)established. */
  readonly connections: number;
}

/**
 * The shards as the query side sees them, whatever carries the frames (Unix sockets today).
 * The front's routes, the operator surface and the `wt` tool ask through this.
 */
export interface Backend {
  readonly links: readonly ShardLink[];
  query<Q extends Query>(shard: number, q: Q): Promise<QueryResults[Q['op']]>;
  /** The same query to every shard; one failing shard fails the whole (a partial sum would be wrong). */
  queryAll<Q extends Query>(q: Q): Promise<QueryResults[Q['op']][]>;
}

/**
 * What the front's routes use: a Backend that also routes a user's events. Embedded mode: the
 * ShardSet (key = shard); cluster mode: the ClusterBackend (key = partition, sent to its owner).
 */
export interface FrontBackend extends Backend {
  /** The routing key of a user's requests: its shard, or in cluster mode its partition. */
  shardOf(user: string): number;
  /** One request's events for `key`; resolves with the accepted count once durable (and replicated in cluster mode). */
  ingest(key: number, batch: IngestRecord[number], events: number): Promise<number>;
  /** How many routing keys there are (shards, or partitions in cluster mode): a catalogue write goes to every one. */
  readonly keyCount: number;
  /** Shards of this host not connected yet (for /readyz). */
  readonly notReady: number[];
}
