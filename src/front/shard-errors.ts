import { ApiError, unavailable } from '../http/index.js';
import { ShardRejected, ShardUnavailable } from '../transport/client.js';

/** What a shard outage means for the request: nothing stored (ingest), or no answer (query). */
const OUTCOME = {
  ingest: 'nothing from this request is acknowledged, retry it',
  query: 'the query was not answered, retry it',
} as const;

/**
 * A shard's failure as the API answers it (503 to retry, 507 for a full disk), worded for the
 * `side` that met it; other errors pass.
 */
export function toApiError(err: unknown, side: keyof typeof OUTCOME): unknown {
  if (err instanceof ShardUnavailable) return unavailable(`${err.message}; ${OUTCOME[side]}`);
  if (err instanceof ShardRejected) {
    if (err.failure.code === 'insufficient_storage') {
      return new ApiError(507, 'insufficient_storage', `${err.message}; nothing from this request is acknowledged`, {}, { 'Retry-After': '5' });
    }
    return unavailable(`${err.message}; ${OUTCOME[side]}`);
  }
  return err;
}
