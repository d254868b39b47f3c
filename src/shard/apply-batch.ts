import { packr, type IngestBatch } from '../transport/messages.js';
import type { ShardState } from './state.js';

/** Decodes one log record (an IngestBatch). */
export function decodeBatch(record: Uint8Array): IngestBatch {
  const batch = packr.unpack(record) as IngestBatch;
  if (!Array.isArray(batch) || typeof batch[0] !== 'number' || (batch.length - 2) % 3 !== 0) {
    throw new Error('not an IngestBatch');
  }
  return batch;
}

/** Applies a batch's events in order and remembers its idempotency key. Returns the event count. */
export function applyBatch(state: ShardState, batch: IngestBatch): number {
  const receivedAt = batch[0];
  let n = 0;
  for (let i = 2; i + 2 < batch.length; i += 3) {
    state.apply(batch[i] as string, batch[i + 1] as string, batch[i + 2] as number, receivedAt);
    n++;
  }
  const key = batch[1];
  if (typeof key === 'string') state.recent.remember(key, n, receivedAt);
  return n;
}
