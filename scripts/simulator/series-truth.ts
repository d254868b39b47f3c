/** One bucket of a series: watch time counted and events applied. */
export interface Bucket {
  watchTime: number;
  events: number;
}

export type Step = 'minute' | 'hour';
export const STEP_MS: Record<Step, number> = { minute: 60_000, hour: 3_600_000 };

/** Events whose minute is one of [lo, hi] (the request straddled a minute change): rare. */
interface Straddler {
  lo: number;
  hi: number;
  watchTime: number;
  events: number;
}

interface KeyTruth {
  /** by minute (ms / 60 000, floored): events whose receive minute is known */
  sure: Map<number, Bucket>;
  straddlers: Straddler[];
  /** events that may have been applied once more (a retried attempt that may have been stored) */
  extraEvents: number;
  /** an event was given up: its series is not checked */
  lost: boolean;
}

/** The key of the series over all movies. */
export const ALL = '\u0000all';

/**
 * The truth of CONTRACT §5.4, per movie and over all movies. The service buckets an event by its
 * receive time, which the simulator knows only to lie between the request's first send and its
 * acknowledgement: when both are in the same minute (nearly always: the dispatcher does not start
 * requests just before a minute changes) the bucket is exact, else the event is a straddler whose
 * minute is one of a few; `check` then allows it in any of them.
 */
export class SeriesTruth {
  private readonly keys = new Map<string, KeyTruth>();

  add(slug: string, sentAt: number, receivedAt: number, gained: number): void {
    const lo = Math.floor(sentAt / STEP_MS.minute);
    const hi = Math.floor(receivedAt / STEP_MS.minute);
    for (const key of [slug, ALL]) {
      const k = this.key(key);
      if (lo === hi) {
        let b = k.sure.get(lo);
        if (!b) k.sure.set(lo, (b = { watchTime: 0, events: 0 }));
        b.watchTime += gained;
        b.events++;
      } else {
        k.straddlers.push({ lo, hi, watchTime: gained, events: 1 });
      }
    }
  }

  maybeExtra(slug: string): void {
    this.key(slug).extraEvents++;
    this.key(ALL).extraEvents++;
  }

  lost(slug: string): void {
    this.key(slug).lost = true;
    this.key(ALL).lost = true;
  }

  isLost(key: string): boolean {
    return this.keys.get(key)?.lost ?? false;
  }

  /** Minutes with a known event, over every key: where the run's series lie. */
  span(): { first: number; last: number } | null {
    let first = Infinity;
    let last = -Infinity;
    const all = this.keys.get(ALL);
    if (!all) return null;
    for (const m of all.sure.keys()) {
      first = Math.min(first, m);
      last = Math.max(last, m);
    }
    for (const s of all.straddlers) {
      first = Math.min(first, s.lo);
      last = Math.max(last, s.hi);
    }
    return first <= last ? { first: first * STEP_MS.minute, last: last * STEP_MS.minute } : null;
  }

  /**
   * Compares a service series (bucket start ms -> bucket) with the truth of `key` at `step`.
   * `exact`: every event of the service's buckets is one of ours (false: other traffic may add,
   * so only "at least ours" is checked). Returns one line per mismatch.
   */
  check(key: string, step: Step, service: Map<number, Bucket>, exact: boolean, relative: number): string[] {
    const k = this.keys.get(key) ?? { sure: new Map<number, Bucket>(), straddlers: [], extraEvents: 0, lost: false };
    const per = STEP_MS[step] / STEP_MS.minute;
    const sure = new Map<number, Bucket>();
    const slack = new Map<number, Bucket>(); // what straddlers may add to a bucket
    const bump = (m: Map<number, Bucket>, b: number, watchTime: number, events: number): void => {
      const x = m.get(b) ?? { watchTime: 0, events: 0 };
      x.watchTime += watchTime;
      x.events += events;
      m.set(b, x);
    };
    for (const [minute, b] of k.sure) bump(sure, Math.floor(minute / per), b.watchTime, b.events);
    let straddleEvents = 0;
    for (const s of k.straddlers) {
      const lo = Math.floor(s.lo / per);
      const hi = Math.floor(s.hi / per);
      if (lo === hi) bump(sure, lo, s.watchTime, s.events);
      else {
        for (let b = lo; b <= hi; b++) bump(slack, b, s.watchTime, s.events);
        straddleEvents += s.events;
      }
    }
    const problems: string[] = [];
    const at = (b: number): string => new Date(b * STEP_MS[step]).toISOString();
    const near = (a: number, e: number): boolean => a === e || Math.abs(a - e) <= relative * Math.max(Math.abs(a), Math.abs(e));
    const buckets = new Set([...sure.keys(), ...slack.keys(), ...[...service.keys()].map((t) => t / STEP_MS[step])]);
    let serviceEvents = 0;
    for (const b of [...buckets].sort((x, y) => x - y)) {
      const want = sure.get(b) ?? { watchTime: 0, events: 0 };
      const may = slack.get(b) ?? { watchTime: 0, events: 0 };
      const got = service.get(b * STEP_MS[step]) ?? { watchTime: 0, events: 0 };
      serviceEvents += got.events;
      const maxEvents = want.events + may.events + k.extraEvents;
      if (got.events < want.events || (exact && got.events > maxEvents)) {
        problems.push(
          `${step} ${at(b)}: events expected ${want.events === maxEvents || !exact ? want.events : `${want.events}..${maxEvents}`}${exact ? '' : ' or more'}, got ${got.events}`,
        );
      }
      const watchOk = exact
        ? (near(got.watchTime, want.watchTime) || got.watchTime >= want.watchTime) &&
          (near(got.watchTime, want.watchTime + may.watchTime) || got.watchTime <= want.watchTime + may.watchTime)
        : near(got.watchTime, want.watchTime) || got.watchTime >= want.watchTime;
      if (!watchOk)
        problems.push(`${step} ${at(b)}: watchTime expected ${want.watchTime}${may.watchTime ? ` (+ up to ${may.watchTime})` : ''}, got ${got.watchTime}`);
    }
    if (exact) {
      let sureEvents = straddleEvents;
      for (const b of sure.values()) sureEvents += b.events;
      if (serviceEvents < sureEvents || serviceEvents > sureEvents + k.extraEvents) {
        problems.push(`${step} total events expected ${sureEvents}${k.extraEvents ? `..${sureEvents + k.extraEvents}` : ''}, got ${serviceEvents}`);
      }
    }
    return problems;
  }

  private key(key: string): KeyTruth {
    let k = this.keys.get(key);
    if (!k) this.keys.set(key, (k = { sure: new Map(), straddlers: [], extraEvents: 0, lost: false }));
    return k;
  }
}
