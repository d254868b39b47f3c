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

/** Inline slots per pair: the first in the pair's row (PairTable's spare word), two more beside. */
const INLINE = 3;
/** Set in the first slot when the pair has more than that one interval. */
const MORE = 0x80000000;
/** First slot of a pair whose intervals are in `overflow` (no real interval packs to it). */
const OVER = 0xffffffff;
const pack = (lo: number, hi: number): number => (lo | (hi << 16)) >>> 0;

/**
 * Which retention buckets each pair has already counted, so a movie's per-bucket viewer counts
 * stay distinct. A pair's buckets are a set of disjoint, non-adjacent intervals [lo, hi); most
 * pairs have one to three (playback from the start, a seek or two), held inline in three uint32
 * slots (lo | hi << 16; 0 = empty): the first in the pair's own row of the PairTable, which the
 * event touches anyway, with a MORE bit when the second and third (8 bytes a pair, in `rest`) are
 * in use. So continuous playback, the usual case, costs no extra memory access. A pair with more
 * intervals moves all of them to a side table (sorted flat [lo, hi, lo, hi, ...]); its first slot
 * then holds OVER.
 */
export class CoverageTable {
  /** pair p's second and third slots at 2p, 2p + 1 */
  rest: Uint32Array = new Uint32Array(2048);
  readonly overflow = new Map<number, number[]>();
  /** Scratch lists for the general case (no allocation per event). */
  private cur: number[] = [];
  private out: number[] = [];

  constructor(
    private readonly pairs: PairTable,
    /** The per-movie counts the newly covered buckets are added to. */
    private readonly retention: MovieRetention,
  ) {}

  /** Makes room for pair index `pair`. */
  ensure(pair: number): void {
    const need = (pair + 1) * 2;
    if (need <= this.rest.length) return;
    let cap = this.rest.length * 2;
    while (cap < need) cap *= 2;
    this.rest = grown(this.rest, cap);
  }

  /**
   * Adds buckets [lo, hi) to `pair` of `movie` (lo < hi <= MAX_BUCKETS) and adds 1 to the movie's
   * count of each bucket that is new to the pair.
   */
  cover(pair: number, movie: number, lo: number, hi: number): void {
    const first = this.pairs.spare(pair);
    // The usual case: one interval (playback from where the pair already is) that the step touches;
    // most steps stay inside it and touch nothing else.
    if (first !== 0 && (first & MORE) === 0) {
      const s = first & 0xffff;
      const e = first >>> 16;
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
    if (first === OVER) {
      for (const x of this.overflow.get(pair)!) into.push(x);
      return into;
    }
    if (first === 0) return into;
    into.push(first & 0xffff, (first & ~MORE) >>> 16);
    for (let k = 0; k < INLINE - 1 && (first & MORE) !== 0; k++) {
      const packed = this.rest[pair * 2 + k]!;
      if (packed === 0) break;
      into.push(packed & 0xffff, packed >>> 16);
    }
    return into;
  }

  private write(pair: number, list: number[]): void {
    if (list.length > INLINE * 2 || this.pairs.spare(pair) === OVER) {
      this.overflow.set(pair, list.slice());
      this.pairs.setSpare(pair, OVER);
      this.rest[pair * 2] = 0;
      this.rest[pair * 2 + 1] = 0;
      return;
    }
    const slot = (k: number): number => (list.length > 2 * k ? pack(list[2 * k]!, list[2 * k + 1]!) : 0);
    this.pairs.setSpare(pair, (slot(0) | (list.length > 2 ? MORE : 0)) >>> 0);
    this.rest[pair * 2] = slot(1);
    this.rest[pair * 2 + 1] = slot(2);
  }

  /** First slots, the other two, and the overflow as flat [pair, n, lo, hi, ...], for a snapshot. */
  snapshot(pairs: number): CoverageSnapshot {
    const flat: number[] = [];
    for (const [pair, list] of this.overflow) flat.push(pair, list.length, ...list);
    return { first: this.pairs.spares(), rest: this.rest.slice(0, pairs * 2), overflow: Uint32Array.from(flat) };
  }

  /** The coverage of `pairs` (whose spare words are set from the snapshot here). */
  static restore(s: CoverageSnapshot, pairs: PairTable, retention: MovieRetention): CoverageTable {
    const table = new CoverageTable(pairs, retention);
    table.ensure(Math.max(pairs.count - 1, 0));
    for (let pair = 0; pair < s.first.length; pair++) pairs.setSpare(pair, s.first[pair]!);
    table.rest.set(s.rest);
    for (let i = 0; i < s.overflow.length; ) {
      const pair = s.overflow[i]!;
      const n = s.overflow[i + 1]!;
      table.overflow.set(pair, Array.from(s.overflow.subarray(i + 2, i + 2 + n)));
      i += 2 + n;
    }
    return table;
  }
}

export interface CoverageSnapshot {
  /** the first slot of each pair */
  first: Uint32Array;
  /** the second and third, 2 per pair */
  rest: Uint32Array;
  overflow: Uint32Array;
}
