import { RETENTION_MAX_BUCKETS } from '../../protocol/index.js';
import { grown } from '../columns.js';
import type { PairTable } from '../pair-table.js';
import type { MovieRetention } from './retention.js';

/** Retention tracks buckets 0..MAX_BUCKETS-1 (CONTRACT §5.3: positions past 4096·B are not tracked). */
export const MAX_BUCKETS = RETENTION_MAX_BUCKETS;

/**
 * The buckets a counted step from `a` to `p` (a < p) covers, as [lo, hi): floor(a/B) to
 * ceil(p/B) − 1 (CONTRACT §5.3), cut at MAX_BUCKETS. Empty (lo >= hi) past the tracked range.
 */
export function stepBuckets(a: number, p: number, bucketS: number): [lo: number, hi: number] {
  const hi = Math.ceil(p / bucketS);
  return [Math.floor(a / bucketS), hi < MAX_BUCKETS ? hi : MAX_BUCKETS];
}

/** Set in a pair's word when its intervals are in a pool block (the low 31 bits: the block's offset). */
const MORE = 0x80000000;
const pack = (lo: number, hi: number): number => (lo | (hi << 16)) >>> 0;
const loOf = (packed: number): number => packed & 0xffff;
const hiOf = (packed: number): number => packed >>> 16;

/**
 * Which retention buckets each pair has already counted, so a movie's per-bucket viewer counts
 * stay distinct. A pair's buckets are a set of disjoint, non-adjacent intervals [lo, hi).
 *
 * Most pairs have one (playback from the start): it is packed (lo | hi << 16) into the spare word
 * of the pair's own row in the PairTable, which the event touches anyway, so continuous playback
 * costs no memory and no memory access beyond the row. A pair with more (seeks, rewinds) has its
 * intervals in a block of one shared Uint32Array pool instead ([count, capacity, packed...],
 * capacities 2, 4, 8, ..., freed blocks reused by capacity), and its word holds MORE | offset.
 * Memory is paid by the pairs that seek, 16 bytes for two intervals, 24 for up to four.
 */
export class CoverageTable {
  private pool: Uint32Array = new Uint32Array(1024);
  private used = 0;
  /** Freed block offsets by log2(capacity). */
  private free: number[][] = [];
  /** Scratch lists for the general case (no allocation per event). */
  private cur: number[] = [];
  private out: number[] = [];

  constructor(
    private readonly pairs: PairTable,
    /** The per-movie counts the newly covered buckets are added to. */
    private readonly retention: MovieRetention,
  ) {}

  /**
   * Adds buckets [lo, hi) to `pair` of `movie` (lo < hi <= MAX_BUCKETS) and adds 1 to the movie's
   * count of each bucket that is new to the pair.
   */
  cover(pair: number, movie: number, lo: number, hi: number): void {
    const first = this.pairs.spare(pair);
    // The usual case: one interval (playback from where the pair already is) that the step touches;
    // most steps stay inside it and touch nothing else.
    if (first !== 0 && (first & MORE) === 0) {
      const s = loOf(first);
      const e = hiOf(first);
      if (lo <= e && hi >= s) {
        if (lo >= s && hi <= e) return;
        const counts = this.retention.room(movie, hi);
        for (let b = lo; b < s; b++) counts[b]!++;
        for (let b = e > lo ? e : lo; b < hi; b++) counts[b]!++;
        this.pairs.setSpare(pair, pack(lo < s ? lo : s, hi > e ? hi : e));
        return;
      }
    }
    this.coverGeneral(pair, lo, hi, this.retention.room(movie, hi));
  }

  private coverGeneral(pair: number, lo: number, hi: number, counts: Uint32Array): void {
    const cur = this.read(pair, this.cur);
    const out = this.out;
    out.length = 0;
    // New buckets: [lo, hi) minus the intervals; merged: the intervals the step overlaps or
    // touches joined with it, the others kept, in order.
    let from = lo;
    let mlo = lo;
    let mhi = hi;
    let placed = false;
    for (let i = 0; i < cur.length; i += 2) {
      const s = cur[i]!;
      const e = cur[i + 1]!;
      if (e < lo) {
        out.push(s, e);
        continue;
      }
      if (s > hi) {
        if (!placed) {
          out.push(mlo, mhi);
          placed = true;
        }
        out.push(s, e);
        continue;
      }
      // overlaps or touches [lo, hi)
      for (let b = from; b < s && b < hi; b++) counts[b]!++;
      if (e > from) from = e;
      if (s < mlo) mlo = s;
      if (e > mhi) mhi = e;
    }
    for (let b = from; b < hi; b++) counts[b]!++;
    if (!placed) out.push(mlo, mhi);
    this.write(pair, out);
  }

  /** The pair's intervals as a flat sorted list [lo, hi, ...] (into `into`). */
  read(pair: number, into: number[] = []): number[] {
    into.length = 0;
    const first = this.pairs.spare(pair);
    if (first === 0) return into;
    if ((first & MORE) === 0) {
      into.push(loOf(first), hiOf(first));
      return into;
    }
    const block = first & ~MORE;
    const n = this.pool[block]!;
    for (let k = 0; k < n; k++) {
      const packed = this.pool[block + 2 + k]!;
      into.push(loOf(packed), hiOf(packed));
    }
    return into;
  }

  /** Stores `list` (flat, sorted, at least one interval) as the pair's intervals. */
  private write(pair: number, list: number[]): void {
    const n = list.length / 2;
    const first = this.pairs.spare(pair);
    let block = (first & MORE) !== 0 ? first & ~MORE : -1;
    if (n === 1) {
      if (block >= 0) this.release(block);
      this.pairs.setSpare(pair, pack(list[0]!, list[1]!));
      return;
    }
    if (block < 0 || this.pool[block + 1]! < n) {
      if (block >= 0) this.release(block);
      block = this.allocate(n);
      this.pairs.setSpare(pair, (MORE | block) >>> 0);
    }
    this.pool[block] = n;
    for (let k = 0; k < n; k++) this.pool[block + 2 + k] = pack(list[2 * k]!, list[2 * k + 1]!);
  }

  /** A block for at least `n` intervals (capacity a power of two, at least 2). */
  private allocate(n: number): number {
    let cap = 2;
    let k = 1;
    while (cap < n) {
      cap *= 2;
      k++;
    }
    const reused = this.free[k]?.pop();
    if (reused !== undefined) return reused;
    const size = cap + 2;
    if (this.used + size > this.pool.length) {
      let next = this.pool.length * 2;
      while (next < this.used + size) next *= 2;
      this.pool = grown(this.pool, next);
    }
    const block = this.used;
    this.used += size;
    this.pool[block + 1] = cap;
    return block;
  }

  private release(block: number): void {
    const k = Math.log2(this.pool[block + 1]!);
    (this.free[k] ??= []).push(block);
  }

  /** Words of the pool in use and free (for the memory figures). */
  get poolWords(): number {
    return this.used;
  }

  /**
   * For a snapshot: each pair's word with single intervals as they are (a pooled pair's as 0), and
   * the pooled pairs as flat [pair, n, lo, hi, ...] (the pool itself is rebuilt on restore).
   */
  snapshot(): CoverageSnapshot {
    const first = this.pairs.spares();
    const flat: number[] = [];
    for (let pair = 0; pair < first.length; pair++) {
      if ((first[pair]! & MORE) === 0) continue;
      first[pair] = 0;
      const list = this.read(pair);
      flat.push(pair, list.length / 2, ...list);
    }
    return { first, pooled: Uint32Array.from(flat) };
  }

  /** The coverage of `pairs` (whose spare words are set from the snapshot here). */
  static restore(s: CoverageSnapshot, pairs: PairTable, retention: MovieRetention): CoverageTable {
    const table = new CoverageTable(pairs, retention);
    for (let pair = 0; pair < s.first.length; pair++) pairs.setSpare(pair, s.first[pair]!);
    for (let i = 0; i < s.pooled.length;) {
      const pair = s.pooled[i]!;
      const n = s.pooled[i + 1]!;
      table.write(pair, Array.from(s.pooled.subarray(i + 2, i + 2 + 2 * n)));
      i += 2 + 2 * n;
    }
    return table;
  }
}

export interface CoverageSnapshot {
  /** each pair's single interval, packed (0: none, or in `pooled`) */
  first: Uint32Array;
  /** the pairs with more intervals: flat [pair, n, lo0, hi0, ..., lo(n-1), hi(n-1), ...] */
  pooled: Uint32Array;
}
