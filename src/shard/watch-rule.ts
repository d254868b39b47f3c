/** The state CONTRACT §3 keeps per (user, slug) pair. `at` and `updatedAt` are NaN until the first event. */
export interface PairState {
  readonly watchTime: number;
  readonly at: number;
  readonly furthest: number;
  readonly events: number;
  readonly updatedAt: number;
}

export const EMPTY_PAIR: PairState = { watchTime: 0, at: NaN, furthest: 0, events: 0, updatedAt: NaN };

/**
 * The watch-time rule of CONTRACT §3, the only place it is written down in code.
 * A forward step of at most `maxStep` is continuous playback and counts; a pause, duplicate or
 * rewind (d <= 0) and a seek (d > maxStep) count nothing. Pure: same inputs, same result.
 */
export function applyHeartbeat(prev: PairState, position: number, receivedAt: number, maxStep: number): PairState {
  const d = position - prev.at; // NaN on the first event: both comparisons below are false
  return {
    watchTime: d > 0 && d <= maxStep ? prev.watchTime + d : prev.watchTime,
    at: position,
    furthest: position > prev.furthest ? position : prev.furthest,
    events: prev.events + 1,
    updatedAt: receivedAt,
  };
}
