/**
 * Log record extensions for viewer insights (CONTRACT §5). Types here travel between processes
 * (front → shard frames, and the shard's LMDB log).
 *
 * An IngestRecord (one frame, one log record) is a list of batches. v1 has one batch shape:
 *
 *   event batch v1:  [receivedAtMs, idemKey | null, user0, slug0, at0, user1, slug1, at1, ...]
 *
 * v2 adds two, told apart without a version field, so every v1 record replays unchanged:
 *
 *   event batch with ts:  the v1 shape plus ONE trailing element, an array with the client time
 *                         `ts` of each event in order (null for an event without one). It is only
 *                         sent when some event of the batch has a ts; v1 batches never end in an
 *                         array, and (length − 2) mod 3 is 1 instead of 0.
 *   movie record:         ['movie', receivedAtMs, slug, duration, title | null]   (§5.2 PUT)
 *                         a string where every event batch has a number; the front sends it to
 *                         every shard, since a movie's pairs live on all of them.
 */

import type { IngestBatch } from './ingest.js';

/** Per-event client times of an event batch (null: that event has none). */
export type TsColumn = (number | null)[];

export type MovieRecord = ['movie', number, string, number, string | null];

export interface TimedEvent {
  user: string;
  slug: string;
  at: number;
  ts?: number | undefined;
}

/** A movie record is told from an event batch by its first element. */
export function isMovieRecord(batch: readonly unknown[]): batch is MovieRecord {
  return batch[0] === 'movie';
}

export function movieRecord(receivedAt: number, slug: string, duration: number, title: string | null): MovieRecord {
  return ['movie', receivedAt, slug, duration, title];
}

/**
 * The event batch for `events` received at `receivedAt`: the v1 shape, plus the ts column only
 * when some event has a ts (so plain v1 traffic stays byte-for-byte what v1 logged).
 */
export function eventBatch(receivedAt: number, key: string | null, events: readonly TimedEvent[]): IngestBatch {
  const batch: IngestBatch = [receivedAt, key];
  let timed = false;
  for (const e of events) {
    batch.push(e.user, e.slug, e.at);
    if (e.ts !== undefined) timed = true;
  }
  if (timed) batch.push(events.map((e) => (e.ts === undefined ? null : e.ts)));
  return batch;
}

/**
 * The number of events in an event batch and its ts column (null when absent), or an Error
 * message when the batch has neither valid shape.
 */
export function eventShape(batch: readonly unknown[]): { events: number; ts: TsColumn | null } | string {
  if (typeof batch[0] !== 'number') return 'receive time is not a number';
  const rest = batch.length - 2;
  if (rest >= 0 && rest % 3 === 0) return { events: rest / 3, ts: null };
  const last = batch[batch.length - 1];
  if (rest % 3 === 1 && Array.isArray(last) && last.length === (rest - 1) / 3) return { events: last.length, ts: last as TsColumn };
  return 'neither [receivedAt, key, (user, slug, at)*] nor that plus a ts column';
}

export function checkMovieRecord(batch: readonly unknown[]): string | null {
  if (batch.length !== 5) return 'a movie record has 5 elements';
  const [, receivedAt, slug, duration, title] = batch;
  if (typeof receivedAt !== 'number' || typeof slug !== 'string' || typeof duration !== 'number')
    return "a movie record is ['movie', receivedAt, slug, duration, title|null]";
  if (title !== null && typeof title !== 'string') return 'a movie title is a string or null';
  return null;
}
