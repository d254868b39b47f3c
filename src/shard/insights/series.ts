import { grown } from '../columns.js';

export interface SeriesPoint {
  /** Bucket start, ms since the epoch (UTC). */
  t: number;
  watchTime: number;
  events: number;
}

/**
 * A sparse time series per key (key 0: all movies, key m + 1: movie m), in buckets of `stepMs`
 * of the server's receive time (CONTRACT §5.4). One table for every key: entries are columns
 * (bucket, watch time, events, previous entry of the same key: 20 bytes), and each key's entries
 * form a chain from its newest back in time. An event usually lands in its key's newest bucket
 * (an O(1) add) or opens the next one; a receive time older than the key's newest bucket (the
 * front's clock stepped back) is inserted in order. Buckets where a key had no event take nothing.
 *
 * Entries older than `keep` buckets before the newest bucket seen are dropped once the newest has
 * advanced `every` buckets since the last drop: driven by the receive times alone, so a replay or
 * a restored snapshot drops exactly what the live shard dropped.
 */
export class SeriesTable {
  count = 0;
  bucket: Uint32Array = new Uint32Array(1024);
  watch: Float64Array = new Float64Array(1024);
  events: Uint32Array = new Uint32Array(1024);
  prev: Int32Array = new Int32Array(1024);
  /** Newest entry of each key, -1: none. */
  last: Int32Array = new Int32Array(1024).fill(-1);
  /** Newest bucket seen, and the newest at the last drop. */
  newest = 0;
  droppedAt = 0;

  constructor(
    readonly stepMs: number,
    readonly keep: number,
    readonly every: number,
  ) {}

  /** Adds one applied event that counted `gained` seconds, received at `receivedAt` ms, to `key`. */
  add(key: number, receivedAt: number, gained: number): void {
    const b = Math.floor(receivedAt / this.stepMs);
    if (key >= this.last.length) this.last = grown(this.last, Math.max(key + 1, this.last.length * 2), -1);
    let e = this.last[key]!;
    if (e < 0 || this.bucket[e]! < b) {
      e = this.append(b, e);
      this.last[key] = e;
      if (b > this.newest) this.advance(b);
    } else if (this.bucket[e] !== b) {
      e = this.insertBefore(key, b);
    }
    this.watch[e]! += gained;
    this.events[e]!++;
  }

  private append(b: number, prev: number): number {
    if (this.count === this.bucket.length) this.resize(this.count * 2);
    const e = this.count++;
    this.bucket[e] = b;
    this.watch[e] = 0;
    this.events[e] = 0;
    this.prev[e] = prev;
    return e;
  }

  /** The entry for bucket `b`, older than the key's newest: found or linked in, in order. */
  private insertBefore(key: number, b: number): number {
    let after = this.last[key]!;
    for (;;) {
      const e = this.prev[after]!;
      if (e >= 0 && this.bucket[e] === b) return e;
      if (e < 0 || this.bucket[e]! < b) {
        const added = this.append(b, e);
        this.prev[after] = added;
        return added;
      }
      after = e;
    }
  }

  private advance(b: number): void {
    this.newest = b;
    if (this.droppedAt === 0) this.droppedAt = b;
    else if (b - this.droppedAt >= this.every) {
      this.drop(b - this.keep);
      this.droppedAt = b;
    }
  }

  /** Removes every entry before bucket `cutoff`, compacting the columns. */
  private drop(cutoff: number): void {
    const map = new Int32Array(this.count);
    let n = 0;
    for (let e = 0; e < this.count; e++) map[e] = this.bucket[e]! < cutoff ? -1 : n++;
    // In place, lowest first: entry e moves to map[e] <= e, after its own prev was read.
    for (let e = 0; e < this.count; e++) {
      const to = map[e]!;
      if (to < 0) continue;
      const p = this.prev[e]!;
      this.bucket[to] = this.bucket[e]!;
      this.watch[to] = this.watch[e]!;
      this.events[to] = this.events[e]!;
      // A key's chain runs back in time, so a dropped entry's older ones are dropped too.
      this.prev[to] = p >= 0 ? map[p]! : -1;
    }
    for (let k = 0; k < this.last.length; k++) if (this.last[k]! >= 0) this.last[k] = map[this.last[k]!]!;
    this.count = n;
  }

  private resize(capacity: number): void {
    this.bucket = grown(this.bucket, capacity);
    this.watch = grown(this.watch, capacity);
    this.events = grown(this.events, capacity);
    this.prev = grown(this.prev, capacity);
  }

  /** The key's non-empty buckets from bucket `from` to `to` (inclusive), oldest first. */
  range(key: number, from: number, to: number): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (let e = key < this.last.length ? this.last[key]! : -1; e >= 0; e = this.prev[e]!) {
      const b = this.bucket[e]!;
      if (b < from) break;
      if (b <= to) out.push({ t: b * this.stepMs, watchTime: this.watch[e]!, events: this.events[e]! });
    }
    return out.reverse();
  }

  /** Entries in use (for the memory figures). */
  get entries(): number {
    return this.count;
  }

  snapshot(keys: number): SeriesSnapshot {
    const n = this.count;
    return {
      bucket: this.bucket.slice(0, n),
      watch: this.watch.slice(0, n),
      events: this.events.slice(0, n),
      prev: this.prev.slice(0, n),
      last: this.last.slice(0, Math.min(keys, this.last.length)),
      newest: this.newest,
      droppedAt: this.droppedAt,
    };
  }

  static restore(s: SeriesSnapshot, stepMs: number, keep: number, every: number): SeriesTable {
    const t = new SeriesTable(stepMs, keep, every);
    t.count = s.bucket.length;
    let cap = 1024;
    while (cap < t.count + 1) cap *= 2;
    t.resize(cap);
    t.bucket.set(s.bucket);
    t.watch.set(s.watch);
    t.events.set(s.events);
    t.prev.set(s.prev);
    t.last = grown(s.last, Math.max(1024, s.last.length * 2), -1);
    t.newest = s.newest;
    t.droppedAt = s.droppedAt;
    return t;
  }
}

export interface SeriesSnapshot {
  bucket: Uint32Array;
  watch: Float64Array;
  events: Uint32Array;
  prev: Int32Array;
  last: Int32Array;
  newest: number;
  droppedAt: number;
}
