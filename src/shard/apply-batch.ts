import { checkMovieRecord, eventShape, isMovieRecord, packr, type IngestBatch, type IngestRecord, type TsColumn } from '../protocol/index.js';
import type { ShardState } from './state.js';

/** Decodes one log record (an IngestRecord: the batches of one frame; shapes in protocol/records.ts). */
export function decodeRecord(record: Uint8Array): IngestRecord {
  const batches = packr.unpack(record) as IngestRecord;
  if (!Array.isArray(batches)) throw new Error('not an IngestRecord');
  for (const batch of batches) {
    if (!Array.isArray(batch)) throw new Error('not an IngestBatch');
    if (isMovieRecord(batch)) {
      const problem = checkMovieRecord(batch);
      if (problem !== null) throw new Error(`not a movie record: ${problem}`);
      continue;
    }
    const shape = eventShape(batch);
    if (typeof shape === 'string') throw new Error(`not an IngestBatch: ${shape}`);
  }
  return batches;
}

/**
 * Applies a record's batches in order; returns each batch's accepted count (1 for a movie
 * record). A batch whose
 * idempotency key was already applied is skipped and answered with the first count: the check is
 * made here, at apply time, so that live ingest and log replay decide the same way.
 */
export function applyRecord(state: ShardState, batches: IngestRecord): number[] {
  return batches.map((batch) => {
    if (isMovieRecord(batch)) {
      state.putMovie(batch[2], batch[3], batch[4]);
      return 1;
    }
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
  const n = ((batch.length - 2) / 3) | 0; // a trailing ts column is the one element left over
  const ts = n * 3 + 2 < batch.length ? (batch[batch.length - 1] as TsColumn) : null;
  for (let e = 0, i = 2; e < n; e++, i += 3) {
    state.apply(batch[i] as string, batch[i + 1] as string, batch[i + 2] as number, receivedAt, ts?.[e] ?? NaN);
  }
  if (batch[1] !== null) state.recent.remember(batch[1], n, receivedAt);
  return n;
}
