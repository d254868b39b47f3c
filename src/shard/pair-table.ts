import { capacityFor, grown } from './columns.js';
import type { PairState } from './watch-rule.js';

/**
 * All (user, slug) pairs of a shard as parallel typed-array columns, about 68-76 bytes a pair:
 * no object, closure or Map per pair. Pairs are found by an open-addressing hash index on
 * (userId, slugId) and chained per user (`next`) so one user's pairs can be listed.
 */
export class PairTable {
  count = 0;
  watchTime: Float64Array = new Float64Array(0);
  at: Float64Array = new Float64Array(0);
  furthest: Float64Array = new Float64Array(0);
  updatedAt: Float64Array = new Float64Array(0);
  events: Uint32Array = new Uint32Array(0);
  /** §5.1: newest client time of the pair (NaN: none) and the late events it refused. */
  ts: Float64Array = new Float64Array(0);
  lateEvents: Uint32Array = new Uint32Array(0);
  user: Uint32Array = new Uint32Array(0);
  slug: Uint32Array = new Uint32Array(0);
  /** Next pair of the same user, -1 at the end of the chain. */
  next: Int32Array = new Int32Array(0);
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
    let slot = PairTable.hash(userId, slugId) & this.mask;
    for (;;) {
      const entry = index[slot]!;
      if (entry === 0) return -1;
      const pair = entry - 1;
      if (this.user[pair] === userId && this.slug[pair] === slugId) return pair;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds a pair that `find` said is absent, at the head of its user's chain. */
  add(userId: number, slugId: number, nextOfUser: number): number {
    if (this.count === this.user.length) this.resize(this.user.length * 2);
    const pair = this.count++;
    this.user[pair] = userId;
    this.slug[pair] = slugId;
    this.next[pair] = nextOfUser;
    this.at[pair] = NaN;
    this.updatedAt[pair] = NaN;
    this.ts[pair] = NaN;
    this.insertIndex(pair);
    return pair;
  }

  read(pair: number): PairState {
    return {
      watchTime: this.watchTime[pair]!,
      at: this.at[pair]!,
      furthest: this.furthest[pair]!,
      events: this.events[pair]!,
      updatedAt: this.updatedAt[pair]!,
      ts: this.ts[pair]!,
      lateEvents: this.lateEvents[pair]!,
    };
  }

  write(pair: number, state: PairState): void {
    this.watchTime[pair] = state.watchTime;
    this.at[pair] = state.at;
    this.furthest[pair] = state.furthest;
    this.events[pair] = state.events;
    this.updatedAt[pair] = state.updatedAt;
    this.ts[pair] = state.ts;
    this.lateEvents[pair] = state.lateEvents;
  }

  private insertIndex(pair: number): void {
    let slot = PairTable.hash(this.user[pair]!, this.slug[pair]!) & this.mask;
    while (this.index[slot] !== 0) slot = (slot + 1) & this.mask;
    this.index[slot] = pair + 1;
  }

  private resize(capacity: number): void {
    this.adopt(this, capacity);
  }

  /** Takes `c`'s columns, grown to `capacity`, and rebuilds the index (load factor <= 1/2). */
  private adopt(c: PairColumns, capacity: number): void {
    this.watchTime = grown(c.watchTime, capacity);
    this.at = grown(c.at, capacity);
    this.furthest = grown(c.furthest, capacity);
    this.updatedAt = grown(c.updatedAt, capacity);
    this.events = grown(c.events, capacity);
    this.ts = grown(c.ts, capacity, NaN);
    this.lateEvents = grown(c.lateEvents, capacity);
    this.user = grown(c.user, capacity);
    this.slug = grown(c.slug, capacity);
    this.next = grown(c.next, capacity);
    this.index = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
    for (let pair = 0; pair < this.count; pair++) this.insertIndex(pair);
  }

  /** The columns cut to `count`, for a snapshot. */
  columns(): PairColumns {
    const n = this.count;
    return {
      watchTime: this.watchTime.slice(0, n),
      at: this.at.slice(0, n),
      furthest: this.furthest.slice(0, n),
      updatedAt: this.updatedAt.slice(0, n),
      events: this.events.slice(0, n),
      ts: this.ts.slice(0, n),
      lateEvents: this.lateEvents.slice(0, n),
      user: this.user.slice(0, n),
      slug: this.slug.slice(0, n),
      next: this.next.slice(0, n),
    };
  }

  static fromColumns(c: PairColumns): PairTable {
    const table = new PairTable(0);
    table.count = c.user.length;
    table.adopt(c, capacityFor(table.count));
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
