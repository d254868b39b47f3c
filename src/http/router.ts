import { ApiError, notFound } from './errors.js';
import type { Exchange } from './exchange.js';

/** What a handler may use of a request: uWS requests die when the handler returns, this does not. */
export interface Request {
  method: string;
  params: Record<string, string>;
  query: string;
  headers: {
    contentType: string | undefined;
    contentLength: string | undefined;
    idempotencyKey: string | undefined;
    authorization: string | undefined;
  };
}

/** A route's handler: answers through `ex` (now or later); may throw an ApiError to answer with it. */
export type Handler = (ex: Exchange, req: Request) => void;

export interface Route<H = Handler> {
  /** e.g. `/users/:user/movies/:slug`; `:name` segments are percent-decoded into params */
  path: string;
  methods: Partial<Record<string, H>>;
}

interface Compiled<H> {
  path: string;
  segments: string[];
  methods: Partial<Record<string, H>>;
  allow: string;
}

/** Matches a method and a raw path to a handler: 404 for an unknown path, 405 (with Allow) for a wrong method. */
export class Router<H = Handler> {
  private readonly routes: Compiled<H>[];

  constructor(routes: Route<H>[]) {
    this.routes = routes.map((r) => ({ path: r.path, segments: r.path.split('/').slice(1), methods: r.methods, allow: Object.keys(r.methods).join(', ') }));
  }

  /** Every route and its methods, in table order (what /openapi.json must document). */
  describe(): { path: string; methods: string[] }[] {
    return this.routes.map((r) => ({ path: r.path, methods: Object.keys(r.methods) }));
  }

  match(method: string, rawPath: string): { handler: H; params: Record<string, string>; route: string } {
    const parts = rawPath.split('/').slice(1);
    for (const route of this.routes) {
      const raw = matchSegments(route.segments, parts);
      if (!raw) continue;
      const handler = route.methods[method];
      if (!handler) {
        throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${rawPath}; use ${route.allow}`, {}, { Allow: route.allow });
      }
      // Decoded only once the route is known: a bad segment of an unknown route is a 404.
      const params: Record<string, string> = {};
      for (const [name, segment] of Object.entries(raw)) params[name] = decodeSegment(segment);
      return { handler, params, route: route.path };
    }
    throw notFound(`No route ${rawPath}. See README.md for the API.`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[i]!;
    if (p.startsWith(':')) {
      if (part === '') return null;
      params[p.slice(1)] = part;
    } else if (p !== part) {
      return null;
    }
  }
  return params;
}

function decodeSegment(segment: string): string {
  if (segment.includes('\uFFFD')) {
    // uWS turns raw bytes that are not UTF-8 into U+FFFD: they would alias a real name.
    throw new ApiError(400, 'invalid_path', 'The path has raw bytes that are not UTF-8; percent-encode names (encodeURIComponent).');
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, 'invalid_path', `The path segment ${JSON.stringify(segment)} is not valid percent-encoded UTF-8.`);
  }
}
