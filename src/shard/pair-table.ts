import { capacityFor } from './columns.js';
import type { PairState } from './watch-rule.js';

/**
 * Row layout: one 64-byte row per pair (8 float64 = 16 uint32), so applying an event touches one
 * cache line of the table instead of one per column: at 1M pairs every column is far larger than
 * the caches, and the per-event cost is mostly those misses (measured: bench/apply-cost.ts).
 *
 *   float64 0 watchTime | 1 at | 2 furthest | 3 updatedAt | 4 ts
 *   uint32  10 events | 11 lateEvents | 12 user id | 13 slug id | 14 next pair of the user (int32)
 *           15 spare: one word a pair for the insights (the retention coverage's first interval)
 */
const F = 8;
const U = 16;
const WATCH = 0;
const AT = 1;
const FURTHEST = 2;
const UPDATED = 3;
const TS = 4;
const EVENTS = 10;
const LATE = 11;
const USER = 12;
const SLUG = 13;
const NEXT = 14;
const SPARE = 15;

/**
 * All (user, slug) pairs of a shard in one typed array of 64-byte rows: no object, closure or Map
 * per pair. Pairs are found by an open-addressing hash index on (userId, slugId) (8-16 bytes a
 * pair) and chained per user (`next`) so one user's pairs can be listed.
 */
export class PairTable {
  count = 0;
  private f64: Float64Array = new Float64Array(0);
  private u32: Uint32Array = new Uint32Array(0);
  private i32: Int32Array = new Int32Array(0);
  private capacity = 0;
  /** Hash slots holding pair index + 1 (0 = empty). */
  private index: Int32Array = new Int32Array(0);
  private mask = 0;

  constructor(capacity = 1024) {
    this.resize(capacityFor(capacity));
  }

  private static hash(userId: number, slugId: number): number {
    let h = Math.imul(userId ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(slugId + 0x7f4a7c15, 0xc2b2ae35);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) >>> 0;
  }

  /** Index of the pair, or -1. */
  find(userId: number, slugId: number): number {
    const index = this.index;
    const u32 = this.u32;
    let slot = PairTable.hash(userId, slugId) & this.mask;
    for (;;) {
      const entry = index[slot]!;
      if (entry === 0) return -1;
      const pair = entry - 1;
      if (u32[pair * U + USER] === userId && u32[pair * U + SLUG] === slugId) return pair;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds a pair that `find` said is absent, at the head of its user's chain. */
  add(userId: number, slugId: number, nextOfUser: number): number {
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const pair = this.count++;
    const u = pair * U;
    this.u32[u + USER] = userId;
    this.u32[u + SLUG] = slugId;
    this.i32[u + NEXT] = nextOfUser;
    const f = pair * F;
    this.f64[f + AT] = NaN;
    this.f64[f + UPDATED] = NaN;
    this.f64[f + TS] = NaN;
    this.insertIndex(pair);
    return pair;
  }

  read(pair: number): PairState {
    const f = pair * F;
    const u = pair * U;
    const f64 = this.f64;
    return {
      watchTime: f64[f + WATCH]!,
      at: f64[f + AT]!,
      furthest: f64[f + FURTHEST]!,
      events: this.u32[u + EVENTS]!,
      updatedAt: f64[f + UPDATED]!,
      ts: f64[f + TS]!,
      lateEvents: this.u32[u + LATE]!,
    };
  }

  write(pair: number, state: PairState): void {
    const f = pair * F;
    const u = pair * U;
    const f64 = this.f64;
    f64[f + WATCH] = state.watchTime;
    f64[f + AT] = state.at;
    f64[f + FURTHEST] = state.furthest;
    f64[f + UPDATED] = state.updatedAt;
    f64[f + TS] = state.ts;
    this.u32[u + EVENTS] = state.events;
    this.u32[u + LATE] = state.lateEvents;
  }

  watchTime(pair: number): number {
    return this.f64[pair * F + WATCH]!;
  }
  at(pair: number): number {
    return this.f64[pair * F + AT]!;
  }
  furthest(pair: number): number {
    return this.f64[pair * F + FURTHEST]!;
  }
  updatedAt(pair: number): number {
    return this.f64[pair * F + UPDATED]!;
  }
  ts(pair: number): number {
    return this.f64[pair * F + TS]!;
  }
  events(pair: number): number {
    return this.u32[pair * U + EVENTS]!;
  }
  lateEvents(pair: number): number {
    return this.u32[pair * U + LATE]!;
  }
  user(pair: number): number {
    return this.u32[pair * U + USER]!;
  }
  slug(pair: number): number {
    return this.u32[pair * U + SLUG]!;
  }
  /** Next pair of the same user, -1 at the end of the chain. */
  next(pair: number): number {
    return this.i32[pair * U + NEXT]!;
  }
  /** The spare word of the pair's row (owned by the insights' CoverageTable; 0 for a new pair). */
  spare(pair: number): number {
    return this.u32[pair * U + SPARE]!;
  }
  setSpare(pair: number, value: number): void {
    this.u32[pair * U + SPARE] = value;
  }

  private insertIndex(pair: number): void {
    let slot = PairTable.hash(this.user(pair), this.slug(pair)) & this.mask;
    while (this.index[slot] !== 0) slot = (slot + 1) & this.mask;
    this.index[slot] = pair + 1;
  }

  /** Grows the rows to `capacity` and rebuilds the index (load factor <= 1/2). */
  private resize(capacity: number): void {
    const f64 = new Float64Array(capacity * F);
    f64.set(this.f64.subarray(0, this.count * F));
    this.f64 = f64;
    this.u32 = new Uint32Array(f64.buffer);
    this.i32 = new Int32Array(f64.buffer);
    this.capacity = capacity;
    this.index = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
    for (let pair = 0; pair < this.count; pair++) this.insertIndex(pair);
  }

  /** The pairs as separate columns, for a snapshot (its format predates the row layout). */
  columns(): PairColumns {
    const n = this.count;
    const c: PairColumns = {
      watchTime: new Float64Array(n),
      at: new Float64Array(n),
      furthest: new Float64Array(n),
      updatedAt: new Float64Array(n),
      events: new Uint32Array(n),
      ts: new Float64Array(n),
      lateEvents: new Uint32Array(n),
      user: new Uint32Array(n),
      slug: new Uint32Array(n),
      next: new Int32Array(n),
    };
    const { f64, u32, i32 } = this;
    for (let pair = 0; pair < n; pair++) {
      const f = pair * F;
      const u = pair * U;
      c.watchTime[pair] = f64[f + WATCH]!;
      c.at[pair] = f64[f + AT]!;
      c.furthest[pair] = f64[f + FURTHEST]!;
      c.updatedAt[pair] = f64[f + UPDATED]!;
      c.ts[pair] = f64[f + TS]!;
      c.events[pair] = u32[u + EVENTS]!;
      c.lateEvents[pair] = u32[u + LATE]!;
      c.user[pair] = u32[u + USER]!;
      c.slug[pair] = u32[u + SLUG]!;
      c.next[pair] = i32[u + NEXT]!;
    }
    return c;
  }

  /** The spare words of every pair (for the snapshot of their owner). */
  spares(): Uint32Array {
    const out = new Uint32Array(this.count);
    for (let pair = 0; pair < this.count; pair++) out[pair] = this.u32[pair * U + SPARE]!;
    return out;
  }

  static fromColumns(c: PairColumns): PairTable {
    const n = c.user.length;
    const table = new PairTable(n);
    const { f64, u32, i32 } = table;
    for (let pair = 0; pair < n; pair++) {
      const f = pair * F;
      const u = pair * U;
      f64[f + WATCH] = c.watchTime[pair]!;
      f64[f + AT] = c.at[pair]!;
      f64[f + FURTHEST] = c.furthest[pair]!;
      f64[f + UPDATED] = c.updatedAt[pair]!;
      f64[f + TS] = c.ts[pair]!;
      u32[u + EVENTS] = c.events[pair]!;
      u32[u + LATE] = c.lateEvents[pair]!;
      u32[u + USER] = c.user[pair]!;
      u32[u + SLUG] = c.slug[pair]!;
      i32[u + NEXT] = c.next[pair]!;
    }
    table.count = n;
    for (let pair = 0; pair < n; pair++) table.insertIndex(pair);
    return table;
  }
}

export interface PairColumns {
  watchTime: Float64Array;
  at: Float64Array;
  furthest: Float64Array;
  updatedAt: Float64Array;
  events: Uint32Array;
  ts: Float64Array;
  lateEvents: Uint32Array;
  user: Uint32Array;
  slug: Uint32Array;
  next: Int32Array;
}
