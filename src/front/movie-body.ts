import { Compile } from 'typebox/compile';
import { DURATION_MAX, DURATION_MIN, MovieBody } from '../api/movie-schema.js';
import { ApiError } from '../http/index.js';
import { nameErrors, nameOk, parseJson, typeName, type Detail } from './validate.js';

const checkMovie = Compile(MovieBody);

/** Parses a PUT /movies/{slug} body (CONTRACT §5.2), or throws 400 invalid_json / invalid_movie. */
export function parseMovie(body: Uint8Array): { duration: number; title: string | null } {
  const value = parseJson(body);
  if (checkMovie.Check(value) && (value.title === undefined || nameOk(value.title))) {
    // Only the contract's fields are stored: unknown properties are dropped here.
    return { duration: value.duration, title: value.title ?? null };
  }
  const details: Detail[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    details.push({ path: '', message: 'must be an object {"duration": number, "title"?: string}' });
  } else {
    const m = value as Record<string, unknown>;
    const d = m.duration;
    const rule = `a number of seconds from ${DURATION_MIN} to ${DURATION_MAX}`;
    if (!Object.hasOwn(m, 'duration')) details.push({ path: '/duration', message: `is required (${rule})` });
    else if (typeof d !== 'number') details.push({ path: '/duration', message: `must be ${rule}, got ${typeName(d)}` });
    else if (!(d >= DURATION_MIN && d <= DURATION_MAX)) details.push({ path: '/duration', message: `must be ${rule}, got ${d}` });
    if (Object.hasOwn(m, 'title')) nameErrors(m.title, '/title', details);
  }
  const first = details[0] ?? { path: '', message: 'does not match the movie schema' };
  const where = first.path === '' ? 'the body' : first.path;
  throw new ApiError(400, 'invalid_movie', `Invalid movie: ${where} ${first.message}. Nothing was stored.`, { details });
}
