import { ApiError, unavailable } from '../http/index.js';
import { ShardRejected, ShardUnavailable } from '../transport/client.js';

/** A shard's failure as the API answers it (503 to retry, 507 for a full disk); other errors pass. */
export function toApiError(err: unknown): unknown {
  if (err instanceof ShardUnavailable) return unavailable(err.message);
  if (err instanceof ShardRejected) {
    if (err.failure.code === 'insufficient_storage') {
      return new ApiError(507, 'insufficient_storage', `${err.message}; nothing from this request is acknowledged`, {}, { 'Retry-After': '5' });
    }
    return unavailable(err.message);
  }
  return err;
}
