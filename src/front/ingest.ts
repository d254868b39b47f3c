import type { Config } from '../config.js';
import type { IngestBatch } from '../protocol/index.js';
import { ApiError, tooLarge, type Exchange, type Request } from '../http/index.js';
import type { ShardSet } from '../transport/shard-set.js';
import { toApiError } from './shard-errors.js';
import { parseEvents } from './validate.js';

/** `application/json`, with or without parameters; an absent Content-Type is read as JSON. */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

const KEY_PATTERN = /^[\x21-\x7e]{1,256}$/;

/**
 * The optional `Idempotency-Key` header: a retry with the same key is answered from the first
 * attempt instead of being applied twice (see DESIGN.md, Retries).
 */
function idempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!KEY_PATTERN.test(header)) {
    throw new ApiError(400, 'invalid_header', 'Idempotency-Key must be 1..256 visible ASCII characters (for example a UUID).');
  }
  return header;
}

/**
 * POST /events: validate the whole request, split it by shard (hash of user), send each shard its
 * part as one frame, and answer 200 only when every shard has made its part durable.
 */
export function ingest(config: Config, shards: ShardSet) {
  return (ex: Exchange, req: Request): void => {
    const declared = Number(req.headers.contentLength);
    if (declared > config.maxBodyBytes) {
      ex.discardBody(); // registered before answering: uWS forbids touching a finished response
      ex.error(tooLarge(config.maxBodyBytes));
      return;
    }
    const json = isJson(req.headers.contentType);
    let key: string | null;
    try {
      key = idempotencyKey(req.headers.idempotencyKey);
    } catch (err) {
      ex.error(err);
      return;
    }
    ex.readBody(config.maxBodyBytes, (body) => {
      if (!json) {
        ex.error(new ApiError(415, 'unsupported_media_type', `Content-Type ${JSON.stringify(req.headers.contentType)} is not supported; send application/json.`));
        return;
      }
      let events;
      try {
        events = parseEvents(body, config.maxBatch);
      } catch (err) {
        ex.error(err);
        return;
      }
      const receivedAt = Date.now();
      // One IngestBatch per shard: [receivedAt, key, user, slug, at, user, slug, at, ...]
      const batches = new Map<number, IngestBatch>();
      for (const e of events) {
        const k = shards.shardOf(e.user);
        let batch = batches.get(k);
        if (!batch) batches.set(k, (batch = [receivedAt, key]));
        batch.push(e.user, e.slug, e.at);
      }
      const parts = [...batches].map(([k, batch]) => shards.ingest(k, batch, (batch.length - 2) / 3));
      Promise.all(parts).then(
        (accepted) => ex.json(200, { accepted: accepted.reduce((a, b) => a + b, 0) }),
        (err: unknown) => ex.error(toApiError(err)),
      );
    });
  };
}
