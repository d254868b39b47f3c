import { pathOf, type HttpClient } from './http-client.js';
import { Rng } from './random.js';

/** When the simulator PUTs a movie's metadata (CONTRACT §5.2), to exercise every order. */
export type CatalogueTiming =
  /** before any event: the usual case */
  | 'before'
  /** only after the events: completions must be recounted for pairs that exist already */
  | 'after'
  /** before with another duration, corrected after the events: a changed duration */
  | 'changed'
  /** never: pair and movie bodies must have no progress fields */
  | 'never';

export interface MoviePlan {
  slug: string;
  /** The real length, which the viewers watch. */
  duration: number;
  title: string | null;
  timing: CatalogueTiming;
}

/** Shares of movies PUT after the events, with a changed duration, and never; the rest before. */
export const CATALOGUE_SHARES = { after: 0.1, changed: 0.05, never: 0.05 };

/** Which movie is PUT when, with which title: deterministic for a seed. */
export function planCatalogue(slugs: readonly string[], durations: readonly number[], seed: number): MoviePlan[] {
  const rng = new Rng(seed, 5);
  return slugs.map((slug, i) => {
    const r = rng.next();
    const timing: CatalogueTiming =
      r < CATALOGUE_SHARES.after
        ? 'after'
        : r < CATALOGUE_SHARES.after + CATALOGUE_SHARES.changed
          ? 'changed'
          : r < CATALOGUE_SHARES.after + CATALOGUE_SHARES.changed + CATALOGUE_SHARES.never
            ? 'never'
            : 'before';
    return { slug, duration: durations[i]!, title: rng.chance(0.5) ? `Movie ${i} – ${[...slug].slice(0, 40).join('')}` : null, timing };
  });
}

/** The metadata the service should hold once both phases are done: slug -> duration and title. */
export function finalCatalogue(plan: readonly MoviePlan[]): Map<string, { duration: number; title: string | null }> {
  const out = new Map<string, { duration: number; title: string | null }>();
  for (const m of plan) if (m.timing !== 'never') out.set(m.slug, { duration: m.duration, title: m.title });
  return out;
}

/**
 * PUTs the movies of one phase: 'before' the events (the 'before' movies, and the 'changed' ones
 * with a wrong duration) or 'after' them (the 'after' movies, and the right duration of the
 * 'changed' ones). Retries 503s (a PUT is idempotent); returns the problems, one line each.
 */
export async function putCatalogue(
  client: HttpClient,
  plan: readonly MoviePlan[],
  phase: 'before' | 'after',
  concurrency: number,
): Promise<{ put: number; problems: string[] }> {
  const jobs: { slug: string; body: Record<string, unknown> }[] = [];
  for (const m of plan) {
    const body: Record<string, unknown> = { duration: m.duration, ...(m.title === null ? {} : { title: m.title }) };
    if (phase === 'before' && m.timing === 'before') jobs.push({ slug: m.slug, body });
    if (phase === 'before' && m.timing === 'changed') jobs.push({ slug: m.slug, body: { ...body, duration: Math.max(1, Math.round(m.duration / 3)) } });
    if (phase === 'after' && (m.timing === 'after' || m.timing === 'changed')) jobs.push({ slug: m.slug, body });
  }
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { slug, body } = jobs[next++]!;
      const problem = await putWithRetry(client, slug, body);
      if (problem) problems.push(problem);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { put: jobs.length, problems };
}

async function putWithRetry(client: HttpClient, slug: string, body: Record<string, unknown>): Promise<string | null> {
  const text = JSON.stringify(body);
  let last = '';
  for (let attempt = 1; attempt <= 8; attempt++) {
    try {
      const res = await client.request('PUT', pathOf('movies', slug), text);
      if (res.status === 200) {
        const stored = JSON.parse(res.body) as Record<string, unknown>;
        if (stored.slug !== slug || stored.duration !== body.duration || (stored.title ?? null) !== (body.title ?? null)) {
          return `PUT movie ${JSON.stringify(slug)}: 200 with ${res.body.slice(0, 200)} for ${text}`;
        }
        return null;
      }
      last = `${res.status} ${res.body.slice(0, 200)}`;
      if (res.status !== 503 && res.status !== 507) return `PUT movie ${JSON.stringify(slug)}: ${last}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
  }
  return `PUT movie ${JSON.stringify(slug)}: gave up after 8 attempts: ${last}`;
}
