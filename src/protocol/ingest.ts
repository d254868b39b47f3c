import type { MovieRecord, TsColumn } from './records.js';

/**
 * One request's events for one shard, flat for compactness:
 *   [receivedAtMs, idempotencyKey | null, user0, slug0, at0, user1, slug1, at1, ...]
 * optionally followed by one TsColumn (insights §5.1; see records.ts).
 * This is also the shard's log record format.
 */
export type IngestBatch = [number, string | null, ...(string | number | TsColumn)[]];

/**
 * What one ingest frame carries and one log record stores: the batches of every request the
 * front received for this shard in one event-loop turn. One frame, one write, one log put for
 * all of them; the shard logs the frame body without re-encoding it.
 */
export type IngestRecord = (IngestBatch | MovieRecord)[];
