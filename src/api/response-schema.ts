import { Type } from 'typebox';
import { Event, Name } from './event-schema.js';
import { Title } from './movie-schema.js';

/**
 * The bodies the API answers with (CONTRACT §2, §4, §5), as TypeBox schemas: /openapi.json is built
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
        { description: 'invalid_event, invalid_movie: what is wrong where in the body' },
      ),
    ),
    limit: Type.Optional(Type.Integer({ description: 'payload_too_large: the limit that was passed' })),
  },
  { additionalProperties: true },
);

const completions = Type.Optional(Count('viewers whose pair is completed (furthest >= COMPLETE_RATIO × duration); only when the duration is known'));

export const MovieWatchTime = Type.Object({
  slug: Name,
  watchTime: Seconds('total seconds watched, over all users'),
  viewers: Count('users with at least one event for this movie'),
  completions,
});

/** §5.2: what PUT /movies/{slug} stored. */
export const MovieStored = Type.Object({
  slug: Name,
  title: Type.Optional(Title),
  duration: Type.Number({ minimum: 1, maximum: 1e6, description: 'seconds' }),
});

export const Movie = Type.Object({
  slug: Name,
  title: Type.Optional(Title),
  duration: Type.Optional(Type.Number({ minimum: 1, maximum: 1e6, description: 'seconds; absent until PUT /movies/{slug} sets it' })),
  watchTime: Seconds('total seconds watched, over all users'),
  viewers: Count('users with at least one event for this movie'),
  completions,
});

/** §5.2 fields of a pair, present only when the movie's duration is known. */
const progressFields = {
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'min(furthest / duration, 1); only when the duration is known' })),
  completed: Type.Optional(Type.Boolean({ description: 'furthest >= COMPLETE_RATIO [0.9] × duration; only when the duration is known' })),
  resumeAt: Type.Optional(
    Type.Number({
      minimum: 0,
      description: 'where to resume: at, if RESUME_MIN_RATIO [0.05] × duration <= at < COMPLETE_RATIO × duration, else 0; only when the duration is known',
    }),
  ),
};

export const UserWatchTime = Type.Object({
  user: Name,
  watchTime: Seconds('total seconds watched, over all movies'),
  movies: Count('movies the user has events for'),
});

export const Latest = Type.Object({
  user: Name,
  slug: Name,
  at: Seconds('the latest playback position'),
  updatedAt: Timestamp,
  ...progressFields,
});

const pairFields = {
  slug: Name,
  watchTime: Seconds('seconds watched (continuous forward steps of at most WATCH_MAX_STEP)'),
  at: Seconds('the latest playback position'),
  furthest: Seconds('the furthest position reached'),
  events: Count('events received for this pair'),
  updatedAt: Timestamp,
  ...progressFields,
};

export const Pair = Type.Object({
  user: Name,
  ...pairFields,
  lateEvents: Count('events whose ts was not newer than the pair’s latest ts: counted in events, changed nothing else'),
});

export const UserMovies = Type.Object({
  user: Name,
  items: Type.Array(Type.Object(pairFields), { description: 'most recently updated first, ties by slug ascending' }),
});

export const TopMovies = Type.Object({
  items: Type.Array(MovieWatchTime, { description: 'highest watchTime first, ties by slug ascending' }),
});

export const Health = Type.Object({ status: Type.Literal('ok') });

/** GET /: where to go from here (a browser or a client that only knows the address). */
export const Index = Type.Object({
  service: Type.Literal('watch-time'),
  version: Type.String(),
  links: Type.Object({
    docs: Type.Literal('/docs', { description: 'the API reference (Swagger UI)' }),
    openapi: Type.Literal('/openapi.json', { description: 'the OpenAPI 3.1 document' }),
    dashboard: Type.Literal('/dashboard', { description: 'live operator dashboard' }),
    ingest: Type.Literal('/events', { description: 'POST heartbeats here (POST / is an alias)' }),
  }),
});

export const Ready = Type.Object({ status: Type.Literal('ready'), shards: Type.Integer({ minimum: 1 }) });

export const ContinueWatching = Type.Object({
  user: Name,
  items: Type.Array(
    Type.Object({
      slug: Name,
      title: Type.Optional(Title),
      resumeAt: Seconds('where to resume'),
      progress: Type.Number({ minimum: 0, maximum: 1, description: 'min(furthest / duration, 1)' }),
      duration: Seconds('the movie’s duration'),
      updatedAt: Timestamp,
    }),
    { description: 'pairs with a known duration, resumeAt > 0 and not completed; most recently updated first, ties by slug ascending' },
  ),
});

export const Retention = Type.Object({
  slug: Name,
  bucketSeconds: Type.Integer({ minimum: 1, description: 'RETENTION_BUCKET_S [30]' }),
  viewers: Count('users with at least one event for this movie'),
  buckets: Type.Array(Count('distinct users whose counted steps covered part of this bucket'), {
    maxItems: 4096,
    description:
      'buckets[i] covers [i·B, (i+1)·B); from bucket 0 to the last bucket any viewer reached (to ceil(duration / B) − 1 when the duration is known and larger)',
  }),
});

export const Series = Type.Object({
  step: Type.Union([Type.Literal('minute'), Type.Literal('hour')]),
  from: Timestamp,
  to: Timestamp,
  items: Type.Array(
    Type.Object({
      t: Type.String({ format: 'date-time', description: 'start of the bucket (UTC)' }),
      watchTime: Seconds('watch time counted in this bucket, by server receive time'),
      events: Count('events applied in this bucket'),
    }),
    { maxItems: 1440, description: 'non-empty buckets that overlap [from, to), ordered by t' },
  ),
});
