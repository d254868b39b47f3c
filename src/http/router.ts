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
  /** Its answers may be compressed: the request's Accept-Encoding is read for it (and only for it). */
  compress?: boolean;
}

interface Compiled<H> {
  path: string;
  segments: string[];
  methods: Partial<Record<string, H>>;
  allow: string;
  compress: boolean;
}

/** Matches a method and a raw path to a handler: 404 for an unknown path, 405 (with Allow) for a wrong method. */
export class Router<H = Handler> {
  private readonly routes: Compiled<H>[];

  /** Routes with the same path (from different tables, e.g. POST / and GET /) are served as one. */
  constructor(routes: Route<H>[]) {
    const byPath = new Map<string, Compiled<H>>();
    for (const r of routes) {
      const compiled = byPath.get(r.path) ?? { path: r.path, segments: r.path.split('/').slice(1), methods: {}, allow: '', compress: false };
      for (const [method, handler] of Object.entries(r.methods)) {
        if (compiled.methods[method]) throw new Error(`route ${method} ${r.path} is defined twice`);
        compiled.methods[method] = handler;
      }
      compiled.compress ||= r.compress === true;
      byPath.set(r.path, compiled);
    }
    this.routes = [...byPath.values()];
    for (const r of this.routes) r.allow = allowOf(Object.keys(r.methods));
  }

  /** Every route and its methods, in table order (what /openapi.json must document). */
  describe(): { path: string; methods: string[] }[] {
    return this.routes.map((r) => ({ path: r.path, methods: Object.keys(r.methods) }));
  }

  /** The route pattern and Allow header of a path (for OPTIONS), or null for an unknown path. */
  allowFor(rawPath: string): { route: string; allow: string } | null {
    const parts = rawPath.split('/').slice(1);
    const route = this.routes.find((r) => matchSegments(r.segments, parts));
    return route ? { route: route.path, allow: route.allow } : null;
  }

  match(method: string, rawPath: string): { handler: H; params: Record<string, string>; route: string; compress: boolean } {
    const parts = rawPath.split('/').slice(1);
    for (const route of this.routes) {
      const raw = matchSegments(route.segments, parts);
      if (!raw) continue;
      // HEAD is served by the GET handler (Exchange leaves the body out).
      const handler = route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
      if (!handler) {
        throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${rawPath}; use ${route.allow}`, {}, { Allow: route.allow });
      }
      // Decoded only once the route is known: a bad segment of an unknown route is a 404.
      const params: Record<string, string> = {};
      for (const [name, segment] of Object.entries(raw)) params[name] = decodeSegment(segment);
      return { handler, params, route: route.path, compress: route.compress };
    }
    throw unknownRoute(rawPath);
  }
}

/** 404 for a path no route serves: points at what an HTTP client can fetch to learn the API. */
export const unknownRoute = (rawPath: string) => notFound(`No route ${rawPath}. See /docs (or /openapi.json) for the API.`);

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The Allow header of a route: its methods, with HEAD wherever GET is (RFC 9110 §9.3.2), GET first. */
function allowOf(methods: string[]): string {
  const all = new Set(methods);
  if (all.has('GET')) all.add('HEAD');
  const rank = (m: string): number => (ORDER.includes(m) ? ORDER.indexOf(m) : ORDER.length);
  return [...all].sort((a, b) => rank(a) - rank(b)).join(', ');
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
