import { Type } from 'typebox';
import { Event, Name } from './event-schema.js';

/**
 * The bodies the API answers with (CONTRACT §2, §4), as TypeBox schemas: /openapi.json is built
 * from these and from event-schema.ts (which the front validates requests with), and the
 * integration tests check real responses against them, so the document cannot drift from the code.
 */

const Seconds = (description: string) => Type.Number({ description });
const Count = (description: string) => Type.Integer({ minimum: 0, description });
const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC, e.g. 2026-01-31T12:00:00.000Z' });

/** POST /events body: one event, or an array of 1..MAX_BATCH [1000] events. */
export const IngestBody = Type.Union([Event, Type.Array(Event, { minItems: 1, description: '1..MAX_BATCH (default 1000) events, applied in order' })]);

export const Accepted = Type.Object({ accepted: Count('events stored and applied') });

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'machine-readable code, e.g. invalid_event, not_found, unavailable' }),
    message: Type.String({ description: 'what went wrong and what to do' }),
    details: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'JSON Pointer into the request body, e.g. /3/at' }),
          message: Type.String(),
        }),
        { description: 'invalid_event: what is wrong with which event' },
      ),
    ),
    limit: Type.Optional(Type.Integer({ description: 'payload_too_large: the limit that was passed' })),
  },
  { additionalProperties: true },
);

export const MovieWatchTime = Type.Object({
  slug: Name,
  watchTime: Seconds('total seconds watched, over all users'),
  viewers: Count('users with at least one event for this movie'),
});

export const UserWatchTime = Type.Object({
  user: Name,
  watchTime: Seconds('total seconds watched, over all movies'),
  movies: Count('movies the user has events for'),
});

export const Latest = Type.Object({
  user: Name,
  slug: Name,
  at: Seconds('the latest playback position (the resume point)'),
  updatedAt: Timestamp,
});

const pairFields = {
  slug: Name,
  watchTime: Seconds('seconds watched (continuous forward steps of at most WATCH_MAX_STEP)'),
  at: Seconds('the latest playback position'),
  furthest: Seconds('the furthest position reached'),
  events: Count('events received for this pair'),
  updatedAt: Timestamp,
};

export const Pair = Type.Object({ user: Name, ...pairFields });

export const UserMovies = Type.Object({
  user: Name,
  items: Type.Array(Type.Object(pairFields), { description: 'most recently updated first, ties by slug ascending' }),
});

export const TopMovies = Type.Object({
  items: Type.Array(MovieWatchTime, { description: 'highest watchTime first, ties by slug ascending' }),
});

export const Health = Type.Object({ status: Type.Literal('ok') });

export const Ready = Type.Object({ status: Type.Literal('ready'), shards: Type.Integer({ minimum: 1 }) });
