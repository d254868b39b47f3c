/**
 * The state CONTRACT §3 and §5.1 keep per (user, slug) pair. `at`, `updatedAt` and `ts` are NaN
 * until set (`ts`: until the first event that carries one).
 */
export interface PairState {
  readonly watchTime: number;
  readonly at: number;
  readonly furthest: number;
  readonly events: number;
  readonly updatedAt: number;
  /** The newest client time (`ts`, ms) of an event that moved the pair; NaN: none yet. */
  readonly ts: number;
  /** Events refused as late or repeated by their `ts` (§5.1). */
  readonly lateEvents: number;
}

export const EMPTY_PAIR: PairState = { watchTime: 0, at: NaN, furthest: 0, events: 0, updatedAt: NaN, ts: NaN, lateEvents: 0 };

/** `classify`'s answer for a late or repeated heartbeat: it only counts as an event. */
export const LATE = -1;

/**
 * What a heartbeat at `position` with client time `ts` (NaN or undefined: none) does to `prev`:
 * LATE (§5.1: ts given, pair.ts known, ts <= pair.ts), else the watch time it adds (§3): the forward
 * step d when 0 < d <= maxStep, else 0 (pause, duplicate, rewind, seek, or the first event).
 */
export function classify(prev: PairState, position: number, maxStep: number, ts = NaN): number {
  if (ts <= prev.ts) return LATE; // false when either is NaN
  const d = position - prev.at; // NaN on the first event: both comparisons below are false
  return d > 0 && d <= maxStep ? d : 0;
}

/** The pair after a heartbeat `classify` answered `step` for. Pure: same inputs, same result. */
export function applyClassified(prev: PairState, step: number, position: number, receivedAt: number, ts = NaN): PairState {
  if (step === LATE) return { ...prev, events: prev.events + 1, lateEvents: prev.lateEvents + 1 };
  return {
    watchTime: step > 0 ? prev.watchTime + step : prev.watchTime,
    at: position,
    furthest: position > prev.furthest ? position : prev.furthest,
    events: prev.events + 1,
    updatedAt: receivedAt,
    ts: ts === ts ? ts : prev.ts, // an event without ts leaves pair.ts as it is
    lateEvents: prev.lateEvents,
  };
}

/**
 * The watch-time rule of CONTRACT §3 with §5.1's optional client time, the only place it is
 * written down in code (classify + applyClassified; callers that also need the counted step, such
 * as the shard's retention, call the two halves themselves).
 * A forward step of at most `maxStep` is continuous playback and counts; a pause, duplicate or
 * rewind (d <= 0) and a seek (d > maxStep) count nothing. A heartbeat whose `ts` is not newer than
 * the pair's is late or repeated: it counts as an event and changes nothing else. Events without
 * `ts` follow v1 exactly. Pure: same inputs, same result.
 */
export function applyHeartbeat(prev: PairState, position: number, receivedAt: number, maxStep: number, ts = NaN): PairState {
  return applyClassified(prev, classify(prev, position, maxStep, ts), position, receivedAt, ts);
}
