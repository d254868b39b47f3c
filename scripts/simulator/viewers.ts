import { Rng, type Zipf } from './random.js';

/** One heartbeat as the service takes it (CONTRACT §2, and §5.1's optional client time `ts`). */
export interface Heartbeat {
  user: string;
  slug: string;
  at: number;
  ts?: number;
}

export interface Behaviour {
  /** Seconds of playback between heartbeats. */
  interval: number;
  /** The service's WATCH_MAX_STEP: seeks jump further than this; "catch-up" steps are exactly this. */
  maxStep: number;
  /** Per heartbeat: chance the position repeats (paused player). */
  pause: number;
  /** Per heartbeat: chance of a forward jump larger than maxStep. */
  seek: number;
  /** Per heartbeat: chance of jumping back 5..300 s. */
  rewind: number;
  /** Per heartbeat: chance of a forward step of exactly maxStep (the boundary, still counted). */
  exactStep: number;
  /** Per heartbeat: chance of switching to another movie. */
  switchMovie: number;
  /** Per heartbeat: chance of stopping; the next session may resume this movie where it was. */
  stop: number;
  /** Share of sessions whose heartbeats drift by a few milliseconds (fractional positions). */
  fractional: number;
  /** Chance a new session resumes the viewer's last position in that movie instead of starting at 0. */
  resume: number;
  /** Share of sessions whose heartbeats carry the client time `ts` (§5.1). */
  ts: number;
  /** Per heartbeat of a `ts` session: chance it is delivered late, after the next 1..3 heartbeats. */
  late: number;
  /** Per heartbeat of a `ts` session: chance it is delivered again, after the next 1..3 heartbeats. */
  repeat: number;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  interval: 10,
  maxStep: 60,
  pause: 0.05,
  seek: 0.02,
  rewind: 0.02,
  exactStep: 0.005,
  switchMovie: 0.01,
  stop: 0.01,
  fractional: 0.3,
  resume: 0.5,
  ts: 0.5,
  late: 0.03,
  repeat: 0.02,
};

export interface Catalogue {
  users: readonly string[];
  slugs: readonly string[];
  /** Length of each movie in seconds, by slug index. */
  durations: readonly number[];
  /** Popularity of slugs: rank k is slug k. */
  popularity: Zipf;
}

interface ViewerState {
  rng: Rng;
  /** Delivery choices (ts, late, repeated), apart from `rng` so playback does not depend on them. */
  delivery: Rng;
  /** The client's clock (ms since the epoch): advances with every heartbeat produced. */
  clock: number;
  /** The current session sends `ts`. */
  sendTs: boolean;
  /** Heartbeats held back (late) or to send again (repeated), with the heartbeat count they are due at. */
  pending: { due: number; event: Heartbeat }[];
  /** Heartbeats handed out. */
  count: number;
  /** Slug index of the current session, -1 between sessions. */
  movie: number;
  position: number;
  fractional: boolean;
  /** Last position per movie, for resuming. */
  resumeAt: Map<number, number>;
}

/**
 * Viewers and their sessions. Each viewer has its own random stream derived from the seed, so a
 * viewer's sequence of heartbeats is the same whatever order the dispatcher asks for them in.
 * The model only generates; it never learns whether an event was acknowledged.
 */
export class ViewerModel {
  private readonly viewers: ViewerState[];

  constructor(
    readonly catalogue: Catalogue,
    readonly behaviour: Behaviour,
    seed: number,
  ) {
    this.viewers = catalogue.users.map((_, i) => {
      const delivery = new Rng(seed, 4, i);
      const clock = 1_700_000_000_000 + delivery.int(1e9);
      return {
        rng: new Rng(seed, 1, i),
        delivery,
        clock,
        sendTs: false,
        pending: [],
        count: 0,
        movie: -1,
        position: 0,
        fractional: false,
        resumeAt: new Map(),
      };
    });
  }

  get size(): number {
    return this.viewers.length;
  }

  /**
   * The next heartbeat viewer `v` delivers: a late or repeated one that is due, else a new one,
   * which may itself be held back (then the one after it goes first) or queued to repeat.
   */
  next(v: number): Heartbeat {
    const s = this.viewers[v]!;
    s.count++;
    const due = s.pending.findIndex((p) => p.due <= s.count);
    if (due >= 0) return s.pending.splice(due, 1)[0]!.event;
    const event = this.produce(s, v);
    if (event.ts === undefined) return event;
    const b = this.behaviour;
    const r = s.delivery.next();
    const later = s.count + 1 + s.delivery.int(3);
    if (r < b.late && s.pending.length === 0) {
      s.pending.push({ due: later, event });
      return this.produce(s, v);
    }
    if (r < b.late + b.repeat) s.pending.push({ due: later, event: { ...event } });
    return event;
  }

  /** A new heartbeat of the viewer's playback. */
  private produce(s: ViewerState, v: number): Heartbeat {
    const b = this.behaviour;
    if (s.movie < 0) {
      this.startSession(s, -1);
    } else {
      const r = s.rng.next();
      let edge = 0;
      if (r < (edge += b.stop)) {
        this.endSession(s);
        this.startSession(s, -1);
      } else if (r < (edge += b.switchMovie)) {
        const from = s.movie;
        this.endSession(s);
        this.startSession(s, from);
      } else if (r < (edge += b.pause)) {
        // paused: the same position again
      } else if (r < (edge += b.seek)) {
        s.position += b.maxStep + 1 + s.rng.int(600) + this.drift(s);
      } else if (r < (edge += b.rewind)) {
        s.position = Math.max(0, s.position - (5 + s.rng.int(296)) + this.drift(s));
      } else if (r < edge + b.exactStep) {
        s.position += b.maxStep;
      } else {
        s.position += b.interval + this.drift(s);
      }
    }
    const duration = this.catalogue.durations[s.movie]!;
    if (s.position > duration) s.position = duration;
    s.clock += b.interval * 1000 + s.delivery.int(50);
    const event: Heartbeat = { user: this.catalogue.users[v]!, slug: this.catalogue.slugs[s.movie]!, at: s.position };
    if (s.sendTs) event.ts = s.clock;
    // The credits: the session ends at the last second of the movie.
    if (s.position >= duration) {
      s.resumeAt.delete(s.movie);
      s.movie = -1;
    }
    return event;
  }

  /** A few milliseconds of jitter for fractional sessions, 0 otherwise. */
  private drift(s: ViewerState): number {
    return s.fractional ? (s.rng.int(201) - 100) / 1000 : 0;
  }

  private startSession(s: ViewerState, not: number): void {
    const { popularity, slugs } = this.catalogue;
    let movie = popularity.sample(s.rng);
    if (movie === not && slugs.length > 1) movie = (movie + 1 + s.rng.int(slugs.length - 1)) % slugs.length;
    s.movie = movie;
    s.fractional = s.rng.chance(this.behaviour.fractional);
    s.sendTs = s.delivery.chance(this.behaviour.ts);
    s.clock += s.delivery.int(3_600_000); // time between sessions
    const saved = s.resumeAt.get(movie);
    s.position = saved !== undefined && s.rng.chance(this.behaviour.resume) ? saved : 0;
  }

  private endSession(s: ViewerState): void {
    s.resumeAt.set(s.movie, s.position);
    s.movie = -1;
  }
}

/** Movies of 10 minutes to 3 hours, deterministic for a seed. */
export function movieDurations(count: number, seed: number): number[] {
  const rng = new Rng(seed, 2);
  return Array.from({ length: count }, () => 600 + rng.int(10_200 + 1));
}
