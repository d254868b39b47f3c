import { Event, Name } from '../api/event-schema.js';
import { MovieBody } from '../api/movie-schema.js';
import * as R from '../api/response-schema.js';

/**
 * GET /openapi.json: OpenAPI 3.1, whose schemas are the TypeBox schemas the front validates with
 * (event-schema.ts) and answers with (response-schema.ts). OpenAPI 3.1 schemas are JSON Schema
 * 2020-12, which is what TypeBox produces, so they are used as they are.
 *
 * `documentFor` checks the operations below against the router's table: a served route without
 * an operation, or an operation without a route, is an error (tested), so the two cannot drift.
 */

type Schema = object;

interface Operation {
  summary: string;
  description?: string;
  tags: string[];
  parameters?: object[];
  requestBody?: object;
  responses: Record<string, object>;
  security?: object[];
}

const SCHEMAS: Record<string, Schema> = {
  Event,
  IngestBody: R.IngestBody,
  Accepted: R.Accepted,
  Error: R.ErrorBody,
  MovieWatchTime: R.MovieWatchTime,
  UserWatchTime: R.UserWatchTime,
  Latest: R.Latest,
  Pair: R.Pair,
  UserMovies: R.UserMovies,
  TopMovies: R.TopMovies,
  MovieBody,
  MovieStored: R.MovieStored,
  Movie: R.Movie,
  Retention: R.Retention,
  Series: R.Series,
  ContinueWatching: R.ContinueWatching,
  Health: R.Health,
  Ready: R.Ready,
};

const ref = (name: keyof typeof SCHEMAS & string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, name: keyof typeof SCHEMAS & string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const error = (description: string) => json(description, 'Error');
const content = (description: string, type: string, schema: object = { type: 'string' }) => ({ description, content: { [type]: { schema } } });

const pathParam = (name: 'user' | 'slug', description: string) => ({ name, in: 'path', required: true, description, schema: Name });
const userParam = pathParam('user', 'the user (percent-encoded: `a%2Fb%20c` is `a/b c`)');
const slugParam = pathParam('slug', 'the movie (percent-encoded)');
const limitParam = (fallback: number) => ({
  name: 'limit',
  in: 'query',
  required: false,
  description: `a plain decimal integer 1..1000 [${fallback}]; anything else is 400 invalid_query`,
  schema: { type: 'integer', minimum: 1, maximum: 1000, default: fallback },
});

/** Token auth is off unless INGEST_TOKEN / QUERY_TOKEN is set: then these routes need it. */
const optionalBearer = [{}, { bearer: [] }];

const common = {
  401: error('a token is configured (INGEST_TOKEN / QUERY_TOKEN) and the request did not carry it'),
  405: error('method_not_allowed: the route exists with other methods (see the Allow header)'),
  503: error('unavailable: a shard is restarting, stalled or overloaded; retry after Retry-After seconds'),
};

const ingest: Operation = {
  summary: 'Ingest heartbeats',
  description:
    'One event or an array of 1..MAX_BATCH events. 200 only once every event is applied to its shard and committed to its log; ' +
    'all-or-nothing on invalid input. Send `Idempotency-Key` (1..256 visible ASCII, the same on every retry) to make retries exact.',
  tags: ['ingest'],
  parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' } }],
  requestBody: { required: true, content: { 'application/json': { schema: ref('IngestBody') } } },
  responses: {
    200: json('every event is durable and applied', 'Accepted'),
    400: error('invalid_json, invalid_event (with details) or invalid_header'),
    401: common[401],
    405: common[405],
    413: error('payload_too_large: body over MAX_BODY_BYTES or more than MAX_BATCH events'),
    415: error('unsupported_media_type: a Content-Type other than application/json'),
    503: common[503],
    507: error('insufficient_storage: a shard disk or LMDB map is full'),
  },
  security: optionalBearer,
};

const putMovie: Operation = {
  summary: 'Set a movie’s duration and title',
  description:
    'Stores the movie’s metadata (CONTRACT §5.2) durably on every shard, like events: 200 once every shard has committed it, and every answer after that ' +
    'uses it. A second PUT replaces it. Setting or changing the duration applies to every existing pair at once (progress, completed, resumeAt, completions). ' +
    'A 503 may leave some shards with the new metadata: retry the same PUT.',
  tags: ['catalogue'],
  parameters: [],
  requestBody: { required: true, content: { 'application/json': { schema: ref('MovieBody') } } },
  responses: {
    200: json('the stored movie', 'MovieStored'),
    400: error('invalid_json, invalid_movie (with details) or invalid_path'),
    401: common[401],
    405: common[405],
    413: error('payload_too_large: body over MAX_BODY_BYTES'),
    415: error('unsupported_media_type: a Content-Type other than application/json'),
    503: common[503],
    507: error('insufficient_storage: a shard disk or LMDB map is full'),
  },
  security: optionalBearer,
};

const seriesParams = [
  { name: 'step', in: 'query', required: false, description: 'bucket width [minute]', schema: { type: 'string', enum: ['minute', 'hour'], default: 'minute' } },
  {
    name: 'from',
    in: 'query',
    required: false,
    description: 'ISO-8601 start (UTC without an offset) [to − 1 h for minute, to − 24 h for hour]',
    schema: { type: 'string', format: 'date-time' },
  },
  { name: 'to', in: 'query', required: false, description: 'ISO-8601 end, exclusive [now]; at most 1440 buckets from from', schema: { type: 'string', format: 'date-time' } },
];

const query = (summary: string, description: string, ok: object, parameters: object[], notFound = true): Operation => ({
  summary,
  description,
  tags: ['queries'],
  parameters,
  responses: {
    200: ok,
    400: error('invalid_path (bad percent-encoding) or invalid_query (bad limit, step, from or to)'),
    401: common[401],
    ...(notFound ? { 404: error('not_found: no events for this user, movie or pair') } : {}),
    405: common[405],
    503: common[503],
  },
  security: optionalBearer,
});

const staticAsset = (summary: string, tag: string, description: string): Operation => ({
  summary,
  tags: [tag],
  parameters: [{ name: 'asset', in: 'path', required: true, description, schema: { type: 'string' } }],
  responses: {
    200: { description: 'the file (CSS, JavaScript or PNG), served by this service: no CDN' },
    404: error('not_found: no such asset'),
  },
});

/** Every operation, by router path (`:name` segments) and method. */
export const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/': { POST: { ...ingest, summary: 'Ingest heartbeats (alias of POST /events)' } },
  '/events': { POST: ingest },
  '/healthz': {
    GET: { summary: 'Liveness', description: '200 while the front process is alive.', tags: ['operations'], responses: { 200: json('alive', 'Health') } },
  },
  '/readyz': {
    GET: {
      summary: 'Readiness',
      description: '200 once every shard has recovered its state and takes writes; 503 before and while stopping.',
      tags: ['operations'],
      responses: { 200: json('every shard is ready', 'Ready'), 503: error('unavailable: some shards are not ready, or the service is stopping') },
    },
  },
  '/movies/top': {
    GET: query('Top movies by watch time', 'Highest total watch time first, ties by slug ascending; exact across shards.', json('the top movies', 'TopMovies'), [limitParam(10)], false),
    PUT: { ...putMovie, summary: 'Set the duration and title of the movie “top”', description: 'PUT /movies/{slug} for the slug `top` (whose GET is the top list).' },
  },
  '/movies/:slug': {
    GET: query(
      'A movie',
      'Its metadata (duration, title) when set, its totals, and, with a duration, the number of viewers who completed it. 404 when it has neither metadata nor events.',
      json('the movie', 'Movie'),
      [slugParam],
    ),
    PUT: { ...putMovie, parameters: [slugParam] },
  },
  '/movies/:slug/retention': {
    GET: query(
      'Retention curve',
      'Distinct viewers per RETENTION_BUCKET_S-second bucket of the movie whose counted playback covered part of it (CONTRACT §5.3); exact across shards.',
      json('the retention curve', 'Retention'),
      [slugParam],
    ),
  },
  '/movies/:slug/series': {
    GET: query(
      'Watch-time series of a movie',
      'Watch time and events per minute or hour of server receive time (UTC); buckets without events are left out. Minutes are kept at least 24 h, hours at least 30 days.',
      json('the series', 'Series'),
      [slugParam, ...seriesParams],
    ),
  },
  '/series': {
    GET: query(
      'Watch-time series of all movies',
      'Watch time and events per minute or hour of server receive time (UTC) over every movie; buckets without events are left out.',
      json('the series', 'Series'),
      seriesParams,
      false,
    ),
  },
  '/movies/:slug/watch-time': {
    GET: query('Movie watch time', 'Total watch time of a movie over all users, and its number of viewers.', json('the movie total', 'MovieWatchTime'), [slugParam]),
  },
  '/users/:user/watch-time': {
    GET: query('User watch time', 'Total watch time of a user over all movies, and the number of movies.', json('the user total', 'UserWatchTime'), [userParam]),
  },
  '/users/:user/continue-watching': {
    GET: query(
      'Continue watching',
      'The user’s movies with a known duration that are started (resumeAt > 0) and not completed, most recently updated first, ties by slug ascending.',
      json('what to resume', 'ContinueWatching'),
      [userParam, limitParam(20)],
    ),
  },
  '/users/:user/movies': {
    GET: query('A user’s movies', 'The user’s pairs, most recently updated first, ties by slug ascending.', json('the user’s movies', 'UserMovies'), [userParam, limitParam(50)]),
  },
  '/users/:user/movies/:slug': {
    GET: query('One pair', 'Everything kept for one (user, movie) pair.', json('the pair', 'Pair'), [userParam, slugParam]),
  },
  '/users/:user/movies/:slug/latest': {
    GET: query('Resume point', 'The latest position of a user in a movie and when it was received.', json('the latest position', 'Latest'), [userParam, slugParam]),
  },
  '/openapi.json': {
    GET: { summary: 'This document', tags: ['operations'], responses: { 200: content('OpenAPI 3.1', 'application/json', { type: 'object' }) } },
  },
  '/docs': {
    GET: { summary: 'API reference page (Swagger UI, served locally)', tags: ['operations'], responses: { 200: content('HTML page', 'text/html') } },
  },
  '/docs/:asset': { GET: staticAsset('Asset of the API reference page', 'operations', 'a Swagger UI file, e.g. swagger-ui-bundle.js') },
  '/metrics': {
    GET: {
      summary: 'Prometheus metrics',
      description:
        'Text exposition format 0.0.4: front and shard figures (events ingested and rejected, request durations by route, in-flight and reconnects per shard, ' +
        'log sequence, snapshot age, users, pairs and movies per shard, RSS per process). Needs the query token when QUERY_TOKEN is set.',
      tags: ['operations'],
      responses: { 200: content('metrics', 'text/plain; version=0.0.4'), 401: common[401], 503: common[503] },
      security: optionalBearer,
    },
  },
  '/dashboard': {
    GET: { summary: 'Live dashboard', description: 'A static page that follows /dashboard/events.', tags: ['operations'], responses: { 200: content('HTML page', 'text/html') } },
  },
  '/dashboard/events': {
    GET: {
      summary: 'Dashboard feed (server-sent events)',
      description:
        'One `data:` JSON message a second: events/s history, totals, per-shard load and state, top movies, latest events. ' +
        'Needs the query token (header, or `?token=` since EventSource cannot send headers) when QUERY_TOKEN is set.',
      tags: ['operations'],
      parameters: [{ name: 'token', in: 'query', required: false, schema: { type: 'string' } }],
      responses: { 200: content('an event stream', 'text/event-stream'), 401: common[401] },
      security: optionalBearer,
    },
  },
  '/dashboard/:asset': { GET: staticAsset('Asset of the dashboard', 'operations', 'dashboard.js or dashboard.css') },
};

/** `/users/:user` → `/users/{user}` */
export const openApiPath = (routerPath: string): string => routerPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export class OpenApiMismatch extends Error {
  override name = 'OpenApiMismatch';
}

/** The document for the routes the router serves; throws if a route and the operations disagree. */
export function documentFor(served: { path: string; methods: string[] }[], version = '1.0.0'): object {
  const problems: string[] = [];
  const servedKeys = new Set<string>();
  for (const route of served) {
    for (const method of route.methods) {
      servedKeys.add(`${method} ${route.path}`);
      if (!OPERATIONS[route.path]?.[method]) problems.push(`${method} ${route.path} is served but not documented`);
    }
  }
  for (const [path, methods] of Object.entries(OPERATIONS)) {
    for (const method of Object.keys(methods)) {
      if (!servedKeys.has(`${method} ${path}`)) problems.push(`${method} ${path} is documented but not served`);
    }
  }
  if (problems.length > 0) throw new OpenApiMismatch(`OpenAPI document and routes disagree: ${problems.join('; ')}`);

  const paths: Record<string, Record<string, object>> = {};
  for (const route of served) {
    const item: Record<string, object> = {};
    for (const method of route.methods) item[method.toLowerCase()] = OPERATIONS[route.path]![method]!;
    paths[openApiPath(route.path)] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'watch-time',
      version,
      description:
        'Video heartbeats in, watch time out. Events `{"user", "slug", "at", "ts"?}` are sharded by user; every answer reflects every acknowledged event. ' +
        'Every error body is `{"error": CODE, "message": TEXT, ...}`.',
    },
    tags: [
      { name: 'ingest', description: 'POST heartbeats' },
      { name: 'catalogue', description: 'movie durations and titles' },
      { name: 'queries', description: 'watch time of users, movies and pairs; retention, series, continue-watching' },
      { name: 'operations', description: 'health, metrics, documentation and the dashboard' },
    ],
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'INGEST_TOKEN for ingest, QUERY_TOKEN for queries, when configured' } },
    },
  };
}
