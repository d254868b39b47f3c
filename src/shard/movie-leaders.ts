import { bestIds } from './bounded-heap.js';
import { grown } from './columns.js';

/** A shard's movie totals and names, indexed by movie id (ShardState's columns). */
export interface MovieColumns {
  readonly count: number;
  readonly watch: Float64Array;
  readonly names: readonly string[];
}

/** How many leaders a rebuild keeps, and how many may gather before they are trimmed back to that. */
const KEEP = 256;
const MAX = 1024;

/**
 * The shard's leading movies, kept up to date as events arrive, so that a top-k query for k up to
 * KEEP selects among at most MAX candidates instead of scanning every movie (100k movies: ~1 ms per
 * scan, and queries to the shard wait behind it).
 *
 * Order: watch time desc, then slug asc (a total order). Invariant: every leader ranks above the
 * bar and every other movie does not. Watch time only grows, so a leader stays above the bar; a
 * movie that climbs above it joins when it is touched. A trim drops the lowest leaders and raises
 * the bar to the best of them. No bar means every movie is a leader.
 */
export class MovieLeaders {
  private leaders: number[] = [];
  private isLeader = new Uint8Array(1024);
  private bar: { watch: number; name: string } | null = null;
  /** False after a restore: the first top() scans once. */
  private built: boolean;

  constructor(built = true) {
    this.built = built;
  }

  /** Call when movie `id` is new or its watch time grew. */
  touched(id: number, watch: Float64Array, names: readonly string[]): void {
    if (!this.built) return;
    if (id >= this.isLeader.length) this.isLeader = grown(this.isLeader, Math.max(id + 1, this.isLeader.length * 2));
    if (this.isLeader[id] === 1) return;
    const bar = this.bar;
    if (bar !== null && !(watch[id]! > bar.watch || (watch[id] === bar.watch && names[id]! < bar.name))) return;
    this.leaders.push(id);
    this.isLeader[id] = 1;
    if (this.leaders.length > MAX) this.trim({ count: names.length, watch, names });
  }

  /** The `k` best movie ids, best first. */
  top(k: number, m: MovieColumns): number[] {
    if (k > KEEP) return best(m.count, k, m);
    if (!this.built) this.rebuild(m);
    return best(this.leaders, k, m);
  }

  private rebuild(m: MovieColumns): void {
    const ranked = best(m.count, KEEP + 1, m);
    this.isLeader = new Uint8Array(Math.max(1024, m.count));
    this.leaders = ranked.slice(0, KEEP);
    for (const id of this.leaders) this.isLeader[id] = 1;
    const first = ranked[KEEP];
    this.bar = first === undefined ? null : { watch: m.watch[first]!, name: m.names[first]! };
    this.built = true;
  }

  private trim(m: MovieColumns): void {
    const ranked = best(this.leaders, this.leaders.length, m);
    for (const id of ranked.slice(KEEP)) this.isLeader[id] = 0;
    const first = ranked[KEEP]!;
    this.bar = { watch: m.watch[first]!, name: m.names[first]! };
    this.leaders = ranked.slice(0, KEEP);
  }
}

/** The `k` best of `ids` (a list, or a count n for ids 0..n-1), best first. */
function best(ids: readonly number[] | number, k: number, m: MovieColumns): number[] {
  const { watch, names } = m;
  return bestIds(ids, k, (a, b) => watch[a]! < watch[b]! || (watch[a] === watch[b] && names[a]! > names[b]!));
}
