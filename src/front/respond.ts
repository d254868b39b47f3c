import { ApiError, type Handler, type Request } from '../http/index.js';
import { toApiError } from './shard-errors.js';

/** Runs an async query handler and turns its result or error into the response. */
export function respond(run: (req: Request) => Promise<unknown>): Handler {
  return (ex, req) => {
    run(req).then(
      (body) => ex.json(200, body),
      (err: unknown) => ex.error(toApiError(err, 'query')),
    );
  };
}

/** `limit` from the query string: a plain decimal integer in 1..max, `fallback` when absent. */
export function parseLimit(query: string, fallback: number, max: number): number {
  const raw = new URLSearchParams(query).get('limit');
  if (raw === null) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ApiError(400, 'invalid_query', `limit must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}
