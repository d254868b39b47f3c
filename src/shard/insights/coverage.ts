import { grown } from '../columns.js';

/** Retention tracks buckets 0..MAX_BUCKETS-1 (CONTRACT §5.3: positions past 4096·B are not tracked). */
export const MAX_BUCKETS = 4096;

/**
 * The buckets a counted step from `a` to `p` (a < p) covers, as [lo, hi): floor(a/B) to
 * ceil(p/B) − 1 (CONTRACT §5.3), cut at MAX_BUCKETS. Empty (lo >= hi) past the tracked range.
 */
export function stepBuckets(a: number, p: number, bucketS: number): [lo: number, hi: number] {
  const hi = Math.ceil(p / bucketS);
  return [Math.floor(a / bucketS), hi < MAX_BUCKETS ? hi : MAX_BUCKETS];
}

/** Inline slots per pair; a pair with more disjoint intervals moves to the overflow table. */
const INLINE = 3;
/** Marks a pair whose intervals are in `overflow` (no real interval packs to it: lo <= 4096). */
const OVER = 0xffffffff;
const pack = (lo: number, hi: number): number => (lo | (hi << 16)) >>> 0;

/**
 * Which retention buckets each pair has already counted, so a movie's per-bucket viewer counts
 * stay distinct. A pair's buckets are a set of disjoint, non-adjacent intervals [lo, hi); most
 * pairs have one to three (playback from the start, a seek or two), held inline in three uint32
 * columns (lo | hi << 16; 0 = empty), 12 bytes a pair. A pair with more moves, all its intervals,
 * to a side table (sorted flat [lo, hi, lo, hi, ...]); the first inline slot then holds OVER.
 */
export class CoverageTable {
  slot0: Uint32Array = new Uint32Array(1024);
  slot1: Uint32Array = new Uint32Array(1024);
  slot2: Uint32Array = new Uint32Array(1024);
  readonly overflow = new Map<number, number[]>();
  /** Scratch lists for the general case (no allocation per event). */
  private cur: number[] = [];
  private out: number[] = [];

  /** Makes room for pair index `pair`. */
  ensure(pair: number): void {
    if (pair < this.slot0.length) return;
    let cap = this.slot0.length * 2;
    while (cap <= pair) cap *= 2;
    this.slot0 = grown(this.slot0, cap);
    this.slot1 = grown(this.slot1, cap);
    this.slot2 = grown(this.slot2, cap);
  }

  /**
   * Adds buckets [lo, hi) to `pair` (lo < hi <= MAX_BUCKETS) and adds 1 to `counts[b]` for each
   * bucket b that is new to it. `counts` must have room for hi.
   */
  cover(pair: number, lo: number, hi: number, counts: Uint32Array): void {
    const first = this.slot0[pair]!;
    // The usual case: one interval (playback from where the pair already is) that the step touches.
    if (first !== OVER && first !== 0 && this.slot1[pair] === 0) {
      const s = first & 0xffff;
      const e = first >>> 16;
      if (lo <= e && hi >= s) {
        for (let b = lo; b < s; b++) counts[b]!++;
        for (let b = e > lo ? e : lo; b < hi; b++) counts[b]!++;
        if (lo < s || hi > e) this.slot0[pair] = pack(lo < s ? lo : s, hi > e ? hi : e);
        return;
      }
    }
    this.coverGeneral(pair, lo, hi, counts);
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
    const first = this.slot0[pair]!;
    if (first === OVER) {
      for (const x of this.overflow.get(pair)!) into.push(x);
      return into;
    }
    const slots = [this.slot0, this.slot1, this.slot2];
    for (let k = 0; k < INLINE; k++) {
      const packed = slots[k]![pair]!;
      if (packed === 0) break;
      into.push(packed & 0xffff, packed >>> 16);
    }
    return into;
  }

  private write(pair: number, list: number[]): void {
    if (list.length > INLINE * 2 || this.slot0[pair] === OVER) {
      this.slot0[pair] = OVER;
      this.slot1[pair] = 0;
      this.slot2[pair] = 0;
      this.overflow.set(pair, list.slice());
      return;
    }
    this.slot0[pair] = list.length > 0 ? pack(list[0]!, list[1]!) : 0;
    this.slot1[pair] = list.length > 2 ? pack(list[2]!, list[3]!) : 0;
    this.slot2[pair] = list.length > 4 ? pack(list[4]!, list[5]!) : 0;
  }

  /** The columns cut to `pairs`, and the overflow as flat [pair, n, lo, hi, ...], for a snapshot. */
  snapshot(pairs: number): CoverageSnapshot {
    const flat: number[] = [];
    for (const [pair, list] of this.overflow) flat.push(pair, list.length, ...list);
    return { slot0: this.slot0.slice(0, pairs), slot1: this.slot1.slice(0, pairs), slot2: this.slot2.slice(0, pairs), overflow: Uint32Array.from(flat) };
  }

  static restore(s: CoverageSnapshot, pairs: number): CoverageTable {
    const table = new CoverageTable();
    table.ensure(Math.max(pairs - 1, 0));
    table.slot0.set(s.slot0);
    table.slot1.set(s.slot1);
    table.slot2.set(s.slot2);
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
  slot0: Uint32Array;
  slot1: Uint32Array;
  slot2: Uint32Array;
  overflow: Uint32Array;
}
