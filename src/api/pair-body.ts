/** The JSON body of a (user, movie) pair, as the API answers it and `wt export` writes it: one shape for both. */
import type { PairProgress, PairView } from '../protocol/index.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

/** §5.2: progress, completed and resumeAt, present only when the movie's duration is known. */
export const progressFields = (p: PairProgress): PairProgress =>
  p.progress === undefined ? {} : { progress: p.progress, completed: p.completed!, resumeAt: p.resumeAt! };

/** A pair as `GET /users/{user}/movies` lists it (no user, no lateEvents). */
export const pairItem = (p: PairView) => ({
  slug: p.slug,
  watchTime: p.watchTime,
  at: p.at,
  furthest: p.furthest,
  events: p.events,
  updatedAt: iso(p.updatedAt),
  ...progressFields(p),
});

/** A pair as `GET /users/{user}/movies/{slug}` answers it. */
export const pairBody = (user: string, p: PairView) => ({ user, ...pairItem(p), lateEvents: p.lateEvents });
