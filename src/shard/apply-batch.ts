import { packr, type IngestBatch, type IngestRecord } from '../protocol/index.js';
import type { ShardState } from './state.js';

/** Decodes one log record (an IngestRecord: the batches of one frame). */
export function decodeRecord(record: Uint8Array): IngestRecord {
  const batches = packr.unpack(record) as IngestRecord;
  if (!Array.isArray(batches)) throw new Error('not an IngestRecord');
  for (const batch of batches) {
    if (!Array.isArray(batch) || typeof batch[0] !== 'number' || (batch.length - 2) % 3 !== 0) throw new Error('not an IngestBatch');
  }
  return batches;
}

/**
 * Applies a record's batches in order; returns each batch's accepted count. A batch whose
 * idempotency key was already applied is skipped and answered with the first count: the check is
 * made here, at apply time, so that live ingest and log replay decide the same way.
 */
export function applyRecord(state: ShardState, batches: IngestRecord): number[] {
  return batches.map((batch) => {
    const key = batch[1];
    if (key !== null) {
      const seen = state.recent.accepted(key);
      if (seen !== undefined) return seen;
    }
    return applyBatch(state, batch);
  });
}

function applyBatch(state: ShardState, batch: IngestBatch): number {
  const receivedAt = batch[0];
  let n = 0;
  for (let i = 2; i + 2 < batch.length; i += 3) {
    state.apply(batch[i] as string, batch[i + 1] as string, batch[i + 2] as number, receivedAt);
    n++;
  }
  if (batch[1] !== null) state.recent.remember(batch[1], n, receivedAt);
  return n;
}
