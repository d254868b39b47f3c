import type { SeriesPoint } from '../../protocol/index.js';
import { grown } from '../columns.js';

/** What `SeriesTable.add` closed: the key's previous head, moved to the closed entries. */
export interface Closed {
  bucket: number;
  watch: number;
  events: number;
}

/**
 * A sparse time series per key (key 0: all movies, key m + 1: movie m) in buckets of one width.
 *
 * Each key's newest bucket (its head: bucket, watch time, events) sits in one dense per-key array,
 * so an event, which nearly always lands in its key's newest bucket, touches only that (small,
 * hot). When a key moves to a later bucket its head is closed into one table shared by every key:
 * entries of (bucket, watch time, events, previous entry of the same key), 20 bytes each, chained
 * from the key's newest closed entry back in time. An add older than a key's head (the front's
 * clock stepped back) is added to, or linked into, the chain in order. Buckets where a key had no
 * event take nothing.
 *
 * Closed entries older than `keep` buckets before the newest bucket seen are dropped once the
 * newest has advanced `every` buckets since the last drop: driven by the receive times alone, so a
 * replay or a restored snapshot drops exactly what the live shard dropped.
 */
export class SeriesTable {
  /** per key k: [3k] head bucket (-1: none), [3k + 1] watch time, [3k + 2] events */
  heads: Float64Array = new Float64Array(3 * 1024).fill(-1);
  /** Newest closed entry of each key, -1: none. */
  last: Int32Array = new Int32Array(1024).fill(-1);
  // closed entries
  count = 0;
  bucket: Uint32Array = new Uint32Array(1024);
  watch: Float64Array = new Float64Array(1024);
  events: Uint32Array = new Uint32Array(1024);
  prev: Int32Array = new Int32Array(1024);
  /** Newest bucket seen, and the newest at the last drop. */
  newest = 0;
  droppedAt = 0;
  /** Set by `add` when it returns true. */
  readonly closed: Closed = { bucket: 0, watch: 0, events: 0 };

  constructor(
    readonly keep: number,
    readonly every: number,
  ) {}

  /**
   * Adds `events` events that counted `gained` seconds to bucket `b` of `key`. Returns true when
   * that closed the key's previous head (then in `closed`).
   */
  add(key: number, b: number, gained: number, events: number): boolean {
    const h = 3 * key;
    if (h >= this.heads.length) this.growKeys(key);
    const heads = this.heads;
    const head = heads[h]!;
    if (head === b) {
      heads[h + 1]! += gained;
      heads[h + 2]! += events;
      return false;
    }
    if (head < b) {
      const closes = head >= 0;
      if (closes) {
        const c = this.closed;
        c.bucket = head;
        c.watch = heads[h + 1]!;
        c.events = heads[h + 2]!;
        this.last[key] = this.append(head, c.watch, c.events, this.last[key]!);
      }
      heads[h] = b;
      heads[h + 1] = gained;
      heads[h + 2] = events;
      if (b > this.newest) this.advance(b);
      return closes;
    }
    const e = this.closedEntry(key, b);
    this.watch[e]! += gained;
    this.events[e]! += events;
    return false;
  }

  /** The key's head bucket (-1: none), watch time and events. */
  head(key: number): Closed | null {
    const h = 3 * key;
    if (h >= this.heads.length || this.heads[h]! < 0) return null;
    return { bucket: this.heads[h]!, watch: this.heads[h + 1]!, events: this.heads[h + 2]! };
  }

  private growKeys(key: number): void {
    const cap = Math.max(key + 1, this.last.length * 2);
    this.heads = grown(this.heads, 3 * cap, -1);
    this.last = grown(this.last, cap, -1);
  }

  private append(b: number, watch: number, events: number, prev: number): number {
    if (this.count === this.bucket.length) this.resize(this.count * 2);
    const e = this.count++;
    this.bucket[e] = b;
    this.watch[e] = watch;
    this.events[e] = events;
    this.prev[e] = prev;
    return e;
  }

  /** The closed entry of `key` for bucket `b` (older than its head): found, or linked in in order. */
  private closedEntry(key: number, b: number): number {
    let after = -1;
    let e = this.last[key]!;
    while (e >= 0 && this.bucket[e]! > b) {
      after = e;
      e = this.prev[e]!;
    }
    if (e >= 0 && this.bucket[e] === b) return e;
    const added = this.append(b, 0, 0, e);
    if (after < 0) this.last[key] = added;
    else this.prev[after] = added;
    return added;
  }

  private advance(b: number): void {
    this.newest = b;
    if (this.droppedAt === 0) this.droppedAt = b;
    else if (b - this.droppedAt >= this.every) {
      this.drop(b - this.keep);
      this.droppedAt = b;
    }
  }

  /** Removes every closed entry before bucket `cutoff`, compacting the columns. */
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

  /** The key's non-empty buckets from `from` to `to` (inclusive), newest first, as [bucket, watch, events]. */
  range(key: number, from: number, to: number): [number, number, number][] {
    const out: [number, number, number][] = [];
    const head = this.head(key);
    if (head && head.bucket >= from && head.bucket <= to) out.push([head.bucket, head.watch, head.events]);
    for (let e = key < this.last.length ? this.last[key]! : -1; e >= 0; e = this.prev[e]!) {
      const b = this.bucket[e]!;
      if (b < from) break;
      if (b <= to) out.push([b, this.watch[e]!, this.events[e]!]);
    }
    return out;
  }

  /** Bytes of the typed arrays (allocated, including growth room), for the memory figures. */
  get bytes(): number {
    return this.heads.byteLength + this.last.byteLength + this.bucket.byteLength + this.watch.byteLength + this.events.byteLength + this.prev.byteLength;
  }

  /** Non-empty buckets held (heads and closed entries), for the memory figures. */
  get entries(): number {
    let heads = 0;
    for (let h = 0; h < this.heads.length; h += 3) if (this.heads[h]! >= 0) heads++;
    return heads + this.count;
  }

  snapshot(keys: number): SeriesSnapshot {
    const n = this.count;
    const k = Math.min(keys, this.last.length);
    return {
      heads: this.heads.slice(0, 3 * k),
      last: this.last.slice(0, k),
      bucket: this.bucket.slice(0, n),
      watch: this.watch.slice(0, n),
      events: this.events.slice(0, n),
      prev: this.prev.slice(0, n),
      newest: this.newest,
      droppedAt: this.droppedAt,
    };
  }

  static restore(s: SeriesSnapshot, keep: number, every: number): SeriesTable {
    const t = new SeriesTable(keep, every);
    const keys = Math.max(1024, s.last.length * 2);
    t.heads = grown(s.heads, 3 * keys, -1);
    t.last = grown(s.last, keys, -1);
    t.count = s.bucket.length;
    let cap = 1024;
    while (cap < t.count + 1) cap *= 2;
    t.resize(cap);
    t.bucket.set(s.bucket);
    t.watch.set(s.watch);
    t.events.set(s.events);
    t.prev.set(s.prev);
    t.newest = s.newest;
    t.droppedAt = s.droppedAt;
    return t;
  }
}

export interface SeriesSnapshot {
  heads: Float64Array;
  last: Int32Array;
  bucket: Uint32Array;
  watch: Float64Array;
  events: Uint32Array;
  prev: Int32Array;
  newest: number;
  droppedAt: number;
}

export const MINUTE_MS = 60_000;

export interface SeriesSizes {
  minuteEntries: number;
  minuteBytes: number;
  hourEntries: number;
  hourBytes: number;
}
/** Minute buckets kept: a day (CONTRACT: at least 24 h) plus the hour between drops. */
const MINUTES = { keep: 1440 + 60, every: 60 };
/** Hour buckets kept: 31 days (CONTRACT: at least 30) plus the day between drops. */
const HOURS = { keep: 31 * 24 + 24, every: 24 };

/**
 * Minute and hour series (CONTRACT §5.4) by the server's receive time. An event updates only its
 * key's minute; an hour receives a minute's totals when that minute closes (or, for a minute
 * already closed, the event itself), and a query adds the open minute to its hour. Same sums,
 * half the work per event.
 */
export class TimeSeries {
  constructor(
    private minutes = new SeriesTable(MINUTES.keep, MINUTES.every),
    private hours = new SeriesTable(HOURS.keep, HOURS.every),
  ) {}

  /** One applied event of `key` that counted `gained` seconds, received in `minute` (ms / MINUTE_MS, floored). */
  add(key: number, minute: number, gained: number): void {
    const minutes = this.minutes;
    const head = minutes.heads[3 * key];
    if (head === minute) {
      minutes.heads[3 * key + 1]! += gained;
      minutes.heads[3 * key + 2]!++;
    } else if (head === undefined || head < minute) {
      if (minutes.add(key, minute, gained, 1)) {
        const c = minutes.closed;
        this.hours.add(key, Math.floor(c.bucket / 60), c.watch, c.events);
      }
    } else {
      minutes.add(key, minute, gained, 1); // a closed minute: its hour already has the rest
      this.hours.add(key, Math.floor(minute / 60), gained, 1);
    }
  }

  /** Non-empty buckets of `key` whose start lies in [fromMs, toMs]'s buckets, oldest first. */
  range(step: 'minute' | 'hour', key: number, fromMs: number, toMs: number): SeriesPoint[] {
    const ms = step === 'minute' ? MINUTE_MS : 60 * MINUTE_MS;
    const from = Math.floor(fromMs / ms);
    const to = Math.floor(toMs / ms);
    const items = (step === 'minute' ? this.minutes : this.hours).range(key, from, to);
    if (step === 'hour') {
      const open = this.minutes.head(key);
      const hour = open && Math.floor(open.bucket / 60);
      if (open && hour !== null && hour >= from && hour <= to) {
        const same = items.find((i) => i[0] === hour);
        if (same) {
          same[1] += open.watch;
          same[2] += open.events;
        } else {
          items.push([hour, open.watch, open.events]);
          items.sort((a, b) => b[0] - a[0]);
        }
      }
    }
    return items.reverse().map(([b, watchTime, events]) => ({ t: b * ms, watchTime, events }));
  }

  sizes(): SeriesSizes {
    const m = this.minutes;
    const h = this.hours;
    return { minuteEntries: m.entries, minuteBytes: m.bytes, hourEntries: h.entries, hourBytes: h.bytes };
  }

  snapshot(keys: number): { minutes: SeriesSnapshot; hours: SeriesSnapshot } {
    return { minutes: this.minutes.snapshot(keys), hours: this.hours.snapshot(keys) };
  }

  static restore(s: { minutes: SeriesSnapshot; hours: SeriesSnapshot }): TimeSeries {
    return new TimeSeries(SeriesTable.restore(s.minutes, MINUTES.keep, MINUTES.every), SeriesTable.restore(s.hours, HOURS.keep, HOURS.every));
  }
}
