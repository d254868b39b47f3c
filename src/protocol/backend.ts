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
