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
  operationId: string;
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
  Index: R.Index,
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Response headers, documented once in components.headers. */
const HEADERS = {
  RetryAfter: { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
  Allow: { description: 'the methods this route serves (HEAD wherever GET), e.g. `GET, HEAD`', schema: { type: 'string' } },
  WWWAuthenticate: { description: 'the scheme to authenticate with: `Bearer`', schema: { type: 'string', const: 'Bearer' } },
  AccessControlAllowOrigin: {
    description: 'when CORS_ORIGINS is set and the request came from an allowed Origin: `*` or that origin (then with `Vary: Origin`)',
    schema: { type: 'string' },
  },
  ContentEncoding: {
    description: '`br` or `gzip` when the request asked for it (Accept-Encoding); absent otherwise',
    schema: { type: 'string', enum: ['br', 'gzip'] },
  },
  Vary: { description: '`Accept-Encoding` (and `Origin` when CORS_ORIGINS is a list)', schema: { type: 'string' } },
};
type HeaderName = keyof typeof HEADERS;
const HEADER_FIELD: Record<HeaderName, string> = {
  RetryAfter: 'Retry-After',
  Allow: 'Allow',
  WWWAuthenticate: 'WWW-Authenticate',
  AccessControlAllowOrigin: 'Access-Control-Allow-Origin',
  ContentEncoding: 'Content-Encoding',
  Vary: 'Vary',
};
const headers = (...names: HeaderName[]) => Object.fromEntries(names.map((n) => [HEADER_FIELD[n], { $ref: `#/components/headers/${n}` }]));

/** Every API answer may carry Access-Control-Allow-Origin (CORS_ORIGINS). */
const json = (description: string, name: string, extra: HeaderName[] = []) => ({
  description,
  headers: headers('AccessControlAllowOrigin', ...extra),
  content: { 'application/json': { schema: ref(name) } },
});
const error = (description: string, extra: HeaderName[] = []) => json(description, 'Error', extra);
const content = (description: string, type: string, schema: object = { type: 'string' }, extra: HeaderName[] = []) => ({
  description,
  headers: headers('AccessControlAllowOrigin', ...extra),
  content: { [type]: { schema } },
});
/** A body sent compressed when asked (Accept-Encoding: br, gzip). */
const compressed = (description: string, type: string, schema: object = { type: 'string' }) => content(description, type, schema, ['ContentEncoding', 'Vary']);

const pathParam = (name: 'user' | 'slug', description: string) => ({ name, in: 'path', required: true, description, schema: Name });
const userParam = pathParam('user', 'the user (percent-encoded: `a%2Fb%20c` is `a/b c`)');
const slugParam = pathParam('slug', 'the movie (percent-encoded)');
/**
 * `limit` is declared as the string it is on the wire: plain decimal digits for 1..1000. As an
 * `integer` a client-side check would let `1e2` or `10.0` through, which the service refuses.
 */
export const LIMIT_PATTERN = '^0*([1-9][0-9]{0,2}|1000)$';
const limitParam = (fallback: number) => ({
  name: 'limit',
  in: 'query',
  required: false,
  description: `plain decimal digits, 1..1000 [${fallback}]; anything else (\`1e2\`, \`1.5\`, empty) is 400 invalid_query`,
  schema: { type: 'string', pattern: LIMIT_PATTERN, default: String(fallback) },
});

/** Token auth is off unless INGEST_TOKEN / QUERY_TOKEN is set: then these routes need it. */
const optionalBearer = [{}, { bearer: [] }];
/** Routes that never ask for a token. */
const open: object[] = [];

const common = {
  401: error('unauthorized: a token is configured (INGEST_TOKEN / QUERY_TOKEN) and the request did not carry it', ['WWWAuthenticate']),
  405: error('method_not_allowed: the route exists with other methods (see the Allow header)', ['Allow']),
  503: error('unavailable: a shard is restarting, stalled or overloaded, or the service is stopping; retry after Retry-After seconds', ['RetryAfter']),
};

const ingest: Operation = {
  operationId: 'ingestEvents',
  summary: 'Ingest heartbeats',
  description:
    'One event or an array of 1..MAX_BATCH events. 200 only once every event is applied to its shard and committed to its log; ' +
    'all-or-nothing on invalid input. Send `Idempotency-Key` (1..256 visible ASCII, the same on every retry) to make retries exact.',
  tags: ['ingest'],
  parameters: [
    { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' } },
  ],
  requestBody: { required: true, content: { 'application/json': { schema: ref('IngestBody') } } },
  responses: {
    200: json('every event is durable and applied', 'Accepted'),
    400: error('invalid_json, invalid_event (with details) or invalid_header'),
    401: common[401],
    405: common[405],
    413: error('payload_too_large: body over MAX_BODY_BYTES or more than MAX_BATCH events'),
    415: error('unsupported_media_type: a Content-Type other than application/json'),
    503: common[503],
    507: error('insufficient_storage: a shard disk or LMDB map is full', ['RetryAfter']),
  },
  security: optionalBearer,
};

const putMovie: Operation = {
  operationId: 'putMovie',
  summary: 'Set a movie’s duration and title',
  description:
    'Stores the movie’s metadata (CONTRACT §5.2) durably on every shard, like events: 200 once every shard has committed it, and every answer after that ' +
    'uses it. A second PUT replaces it; unknown properties are ignored. Setting or changing the duration applies to every existing pair at once ' +
    '(progress, completed, resumeAt, completions). A 503 may leave some shards with the new metadata: retry the same PUT.',
  tags: ['catalogue'],
  parameters: [slugParam],
  requestBody: { required: true, content: { 'application/json': { schema: ref('MovieBody') } } },
  responses: {
    200: json('the stored movie', 'MovieStored'),
    400: error('invalid_json, invalid_movie (with details) or invalid_path'),
    401: common[401],
    405: common[405],
    413: error('payload_too_large: body over MAX_BODY_BYTES'),
    415: error('unsupported_media_type: a Content-Type other than application/json'),
    503: common[503],
    507: error('insufficient_storage: a shard disk or LMDB map is full', ['RetryAfter']),
  },
  security: optionalBearer,
};

const seriesParams = [
  { name: 'step', in: 'query', required: false, description: 'bucket width [minute]', schema: { type: 'string', enum: ['minute', 'hour'], default: 'minute' } },
  {
    name: 'from',
    in: 'query',
    required: false,
    description: 'ISO-8601 start (UTC when it has no offset) [to − 1 h for minute, to − 24 h for hour]',
    schema: { type: 'string', format: 'date-time' },
  },
  {
    name: 'to',
    in: 'query',
    required: false,
    description: 'ISO-8601 end, exclusive [now]; at most 1440 buckets from `from`',
    schema: { type: 'string', format: 'date-time' },
  },
];

const query = (operationId: string, summary: string, description: string, ok: object, parameters: object[], notFound = true): Operation => ({
  operationId,
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

/** An operator route: open (no token), and, like every route, 405 for another method. */
const operation = (operationId: string, summary: string, description: string, responses: Record<string, object>): Operation => ({
  operationId,
  summary,
  description,
  tags: ['operations'],
  responses: { ...responses, 405: common[405] },
  security: open,
});

const staticAsset = (operationId: string, summary: string, description: string): Operation => ({
  ...operation(operationId, summary, 'A file of the page, served by this service (no CDN); sent compressed when asked.', {
    200: {
      ...compressed('the file', 'text/css'),
      content: {
        'text/css': { schema: { type: 'string' } },
        'text/javascript': { schema: { type: 'string' } },
        'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
      },
    },
    404: error('not_found: no such asset'),
  }),
  parameters: [{ name: 'asset', in: 'path', required: true, description, schema: { type: 'string' } }],
});

/** Every operation, by router path (`:name` segments) and method. */
export const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/': {
    GET: operation('index', 'Index', 'Links to the API reference, the OpenAPI document and the dashboard.', { 200: json('the links', 'Index') }),
    POST: { ...ingest, operationId: 'ingestEventsAlias', summary: 'Ingest heartbeats (alias of POST /events)' },
  },
  '/events': { POST: ingest },
  '/healthz': {
    GET: operation('liveness', 'Liveness', '200 while the front process is alive.', { 200: json('alive', 'Health') }),
  },
  '/readyz': {
    GET: operation(
      'readiness',
      'Readiness',
      '200 once every shard has recovered its state and takes writes; 503 (naming the shards) before and while stopping. ' +
        'Cluster mode (NATS_URL set): 200 when this host is connected to NATS and every partition has a live owner serving it; else 503 with `missingPartitions`.',
      {
        200: json('every shard is ready', 'Ready'),
        503: error(
          'unavailable: some shards are not ready (the message names them), the service is stopping, or (cluster mode) `missingPartitions` lists the partitions without a live owner',
          ['RetryAfter'],
        ),
      },
    ),
  },
  '/cluster': {
    GET: {
      operationId: 'cluster',
      summary: 'Cluster status',
      description:
        'Cluster mode: hosts (id, address, partitions served, since, members), partitions (owner, log sequence, snapshot sequence) and the engine ' +
        '(servers, streams, replicas, leaders), read fresh from NATS, with `mode: "cluster"`; in embedded mode (NATS_URL unset) only `mode: "embedded"`. ' +
        'Sent compressed when asked. Needs the query token when QUERY_TOKEN is set.',
      tags: ['operations'],
      responses: {
        200: compressed('the cluster as NATS has it', 'application/json', { type: 'object' }),
        401: common[401],
        405: common[405],
        503: common[503],
      },
      security: optionalBearer,
    },
  },
  '/movies/top': {
    GET: query(
      'topMovies',
      'Top movies by watch time',
      'Highest total watch time first, ties by slug ascending; exact across shards.',
      json('the top movies', 'TopMovies'),
      [limitParam(10)],
      false,
    ),
    PUT: {
      ...putMovie,
      operationId: 'putMovieTop',
      summary: 'Set the duration and title of the movie “top”',
      description: 'PUT /movies/{slug} for the slug `top`, whose GET is the top list.',
      parameters: [],
    },
  },
  '/movies/:slug': {
    GET: query(
      'movie',
      'A movie',
      'Its metadata (duration, title) when set, its totals, and, with a duration, the number of viewers who completed it. 404 when it has neither metadata nor events.',
      json('the movie', 'Movie'),
      [slugParam],
    ),
    PUT: putMovie,
  },
  '/movies/:slug/retention': {
    GET: query(
      'movieRetention',
      'Retention curve',
      'Distinct viewers per RETENTION_BUCKET_S-second bucket of the movie whose counted playback covered part of it (CONTRACT §5.3); exact across shards.',
      json('the retention curve', 'Retention'),
      [slugParam],
    ),
  },
  '/movies/:slug/series': {
    GET: query(
      'movieSeries',
      'Watch-time series of a movie',
      'Watch time and events per minute or hour of server receive time (UTC); buckets without events are left out. Minutes are kept at least 24 h, hours at least 30 days.',
      json('the series', 'Series'),
      [slugParam, ...seriesParams],
    ),
  },
  '/series': {
    GET: query(
      'series',
      'Watch-time series of all movies',
      'Watch time and events per minute or hour of server receive time (UTC) over every movie; buckets without events are left out.',
      json('the series', 'Series'),
      seriesParams,
      false,
    ),
  },
  '/movies/:slug/watch-time': {
    GET: query(
      'movieWatchTime',
      'Movie watch time',
      'Total watch time of a movie over all users, and its number of viewers.',
      json('the movie total', 'MovieWatchTime'),
      [slugParam],
    ),
  },
  '/users/:user/watch-time': {
    GET: query(
      'userWatchTime',
      'User watch time',
      'Total watch time of a user over all movies, and the number of movies.',
      json('the user total', 'UserWatchTime'),
      [userParam],
    ),
  },
  '/users/:user/continue-watching': {
    GET: query(
      'continueWatching',
      'Continue watching',
      'The user’s movies with a known duration that are started (resumeAt > 0) and not completed, most recently updated first, ties by slug ascending.',
      json('what to resume', 'ContinueWatching'),
      [userParam, limitParam(20)],
    ),
  },
  '/users/:user/movies': {
    GET: query(
      'userMovies',
      'A user’s movies',
      'The user’s pairs, most recently updated first, ties by slug ascending.',
      json('the user’s movies', 'UserMovies'),
      [userParam, limitParam(50)],
    ),
  },
  '/users/:user/movies/:slug': {
    GET: query('pair', 'One pair', 'Everything kept for one (user, movie) pair.', json('the pair', 'Pair'), [userParam, slugParam]),
  },
  '/users/:user/movies/:slug/latest': {
    GET: query('resumePoint', 'Resume point', 'The latest position of a user in a movie and when it was received.', json('the latest position', 'Latest'), [
      userParam,
      slugParam,
    ]),
  },
  '/openapi.json': {
    GET: operation('openapi', 'This document', 'OpenAPI 3.1; sent compressed when asked.', {
      200: compressed('OpenAPI 3.1', 'application/json', { type: 'object' }),
    }),
  },
  '/docs': {
    GET: operation('docs', 'API reference page', 'Swagger UI over /openapi.json, every file served locally.', { 200: compressed('HTML page', 'text/html') }),
  },
  '/docs/:asset': { GET: staticAsset('docsAsset', 'Asset of the API reference page', 'a Swagger UI file, e.g. swagger-ui-bundle.js') },
  '/metrics': {
    GET: {
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description:
        'Text exposition format 0.0.4: front and shard figures (events ingested and rejected, request durations by route, pending events and reconnects per shard, ' +
        'log sequence, snapshot age, users, pairs and movies per shard, RSS per process); sent compressed when asked. Needs the query token when QUERY_TOKEN is set.',
      tags: ['operations'],
      responses: { 200: compressed('metrics', 'text/plain; version=0.0.4'), 401: common[401], 405: common[405] },
      security: optionalBearer,
    },
  },
  '/dashboard': {
    GET: operation('dashboard', 'Live dashboard', 'A static page that follows /dashboard/events.', { 200: compressed('HTML page', 'text/html') }),
  },
  '/dashboard/events': {
    GET: {
      operationId: 'dashboardEvents',
      summary: 'Dashboard feed (server-sent events)',
      description:
        'One `data:` JSON message a second: events/s history, totals, per-shard load and state, top movies, latest events. ' +
        'Needs the query token (header, or `?token=` since EventSource cannot send headers) when QUERY_TOKEN is set.',
      tags: ['operations'],
      parameters: [{ name: 'token', in: 'query', required: false, description: 'the query token, for EventSource', schema: { type: 'string' } }],
      responses: { 200: content('an event stream', 'text/event-stream'), 401: common[401], 405: common[405] },
      security: optionalBearer,
    },
  },
  '/dashboard/:asset': { GET: staticAsset('dashboardAsset', 'Asset of the dashboard', 'dashboard.js or dashboard.css') },
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
        'Every error body is `{"error": CODE, "message": TEXT, ...}`. HEAD is served wherever GET is. ' +
        'With CORS_ORIGINS set, browsers on those origins may call every route (preflight OPTIONS is answered).',
      license: { name: 'Proprietary (UNLICENSED): all rights reserved', identifier: 'LicenseRef-UNLICENSED' },
    },
    servers: [{ url: '/', description: 'the service that served this document' }],
    tags: [
      { name: 'ingest', description: 'POST heartbeats' },
      { name: 'catalogue', description: 'movie durations and titles' },
      { name: 'queries', description: 'watch time of users, movies and pairs; retention, series, continue-watching' },
      { name: 'operations', description: 'health, metrics, documentation and the dashboard' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, withRefs(schema, name)])),
      headers: HEADERS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'INGEST_TOKEN for ingest, QUERY_TOKEN for queries, when configured' } },
    },
  };
}

/**
 * `schema` with every nested schema that is itself a component replaced by its $ref (IngestBody
 * holds Event, TopMovies holds MovieWatchTime): TypeBox nests the very same objects.
 */
function withRefs(schema: Schema, self: string): Schema {
  const names = new Map<object, string>();
  for (const [name, s] of Object.entries(SCHEMAS)) if (name !== self) names.set(s, name);
  const walk = (node: unknown, root: boolean): unknown => {
    if (node === null || typeof node !== 'object') return node;
    const name = root ? undefined : names.get(node);
    if (name) return { $ref: `#/components/schemas/${name}` };
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, false)]));
  };
  return walk(schema, true) as Schema;
}
