/** What a shard answers about its pairs and movies (the bodies of query results). */
import type { MovieCatalogueFields, PairProgress } from './insights.js';

/** One (user, movie) pair: the user is implied by the query. */
export interface PairView extends PairProgress {
  slug: string;
  watchTime: number;
  at: number;
  furthest: number;
  events: number;
  updatedAt: number;
  /** §5.1: events refused as late or repeated by their client time */
  lateEvents: number;
}

/** A pair as the dashboard's "latest events" list shows it. */
export interface LatestPair {
  user: string;
  slug: string;
  at: number;
  watchTime: number;
  updatedAt: number;
}

/** One user's totals (users live on one shard: these are final). */
export interface UserTotals {
  watchTime: number;
  movies: number;
}

/** One shard's part of a movie's totals: the parts of all shards add up to the movie's totals. */
export interface MoviePartial extends MovieCatalogueFields {
  slug: string;
  watchTime: number;
  viewers: number;
}

/** A shard's best movies by partial watch time (watch-time order), and whether that is all of them. */
export interface ShardTop {
  items: MoviePartial[];
  /** The shard returned every movie it has. */
  complete: boolean;
}
