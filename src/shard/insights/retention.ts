import { MAX_BUCKETS } from './coverage.js';

const EMPTY = new Uint32Array(0);

/**
 * Per movie (by the shard's movie id), the number of this shard's users who counted each
 * retention bucket (CONTRACT §5.3). Users live on one shard each, so the front sums the shards'
 * arrays bucket by bucket. An array grows (powers of two, at most MAX_BUCKETS) to the furthest
 * bucket any of its viewers counted: a 2-hour movie is 240 buckets, 1 KiB per shard.
 */
export class MovieRetention {
  private counts: Uint32Array[] = [];

  /** The counts of `movie` with room for buckets below `hi` (hi <= MAX_BUCKETS). */
  room(movie: number, hi: number): Uint32Array {
    while (this.counts.length <= movie) this.counts.push(EMPTY);
    const c = this.counts[movie]!;
    if (c.length >= hi) return c;
    let cap = c.length > 0 ? c.length : 8;
    while (cap < hi) cap *= 2;
    const next = new Uint32Array(cap < MAX_BUCKETS ? cap : MAX_BUCKETS);
    next.set(c);
    this.counts[movie] = next;
    return next;
  }

  /** Bucket counts from 0 to the last non-zero one. */
  buckets(movie: number): number[] {
    const c = this.counts[movie] ?? EMPTY;
    let n = c.length;
    while (n > 0 && c[n - 1] === 0) n--;
    return Array.from(c.subarray(0, n));
  }

  /** Every movie's counts cut to their last non-zero bucket, flat: lengths[movie] and the concatenation. */
  snapshot(movies: number): { lengths: Uint32Array; counts: Uint32Array } {
    const lengths = new Uint32Array(movies);
    const lists: number[][] = [];
    let total = 0;
    for (let m = 0; m < movies; m++) {
      const b = this.buckets(m);
      lengths[m] = b.length;
      lists.push(b);
      total += b.length;
    }
    const counts = new Uint32Array(total);
    let at = 0;
    for (const b of lists) {
      counts.set(b, at);
      at += b.length;
    }
    return { lengths, counts };
  }

  static restore(s: { lengths: Uint32Array; counts: Uint32Array }): MovieRetention {
    const r = new MovieRetention();
    let at = 0;
    for (let m = 0; m < s.lengths.length; m++) {
      const n = s.lengths[m]!;
      if (n > 0) r.room(m, n).set(s.counts.subarray(at, at + n));
      else r.room(m, 0);
      at += n;
    }
    return r;
  }
}
