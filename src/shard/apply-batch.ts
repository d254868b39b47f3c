import { packr, type IngestBatch } from '../transport/messages.js';
import type { ShardState } from './state.js';

/** Decodes one log record (an IngestBatch) and applies its events in order. Returns how many. */
export function applyBatch(state: ShardState, record: Uint8Array): number {
  const batch = packr.unpack(record) as IngestBatch;
  const receivedAt = batch[0];
  let n = 0;
  for (let i = 1; i + 2 < batch.length; i += 3) {
    state.apply(batch[i] as string, batch[i + 1] as string, batch[i + 2] as number, receivedAt);
    n++;
  }
  return n;
}
