import type { Config } from '../config.js';
import { eventBatch, type FrontBackend, type TimedEvent } from '../protocol/index.js';
import { ApiError, type Exchange, type Request } from '../http/index.js';
import { readJsonBody } from './body.js';
import { toApiError } from './shard-errors.js';
import { parseEvents } from './validate.js';

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
export function ingest(config: Config, shards: FrontBackend) {
  return (ex: Exchange, req: Request): void => {
    let key: string | null = null;
    const checkKey = (): void => {
      key = idempotencyKey(req.headers.idempotencyKey);
    };
    readJsonBody(
      config,
      ex,
      req,
      (body) => {
        const events = parseEvents(body, config.maxBatch);
        const receivedAt = Date.now();
        // One event batch per shard (protocol/records.ts: the v1 shape, plus ts when some event has one).
        const byShard = new Map<number, TimedEvent[]>();
        for (const e of events) {
          const k = shards.shardOf(e.user);
          let list = byShard.get(k);
          if (!list) byShard.set(k, (list = []));
          list.push(e);
        }
        const parts = [...byShard].map(([k, list]) => shards.ingest(k, eventBatch(receivedAt, key, list), list.length));
        Promise.all(parts).then(
          (accepted) => ex.json(200, { accepted: accepted.reduce((a, b) => a + b, 0) }),
          (err: unknown) => ex.error(toApiError(err, 'ingest')),
        );
      },
      checkKey,
    );
  };
}
