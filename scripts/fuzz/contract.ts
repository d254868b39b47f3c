/**
 * What CONTRACT.md (v2: §4 and the §5 routes) says an answer may be, written again from the contract (not from src/):
 * the fuzzer's expectations must not share the service's mistakes.
 */
import type { Heartbeat } from '../chaos/oracle.js';
import { header, type Answer } from './raw-http.js';

export const CONTRACT_STATUSES = new Set([200, 400, 404, 405, 413, 415, 503, 507]);

export const ERROR_CODES: Record<number, string[]> = {
  // invalid_path and invalid_header are the service's own 400s (README), not contradicting the contract.
  400: ['invalid_json', 'invalid_event', 'invalid_movie', 'invalid_query', 'invalid_path', 'invalid_header'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
  503: ['unavailable'],
  507: ['insufficient_storage'],
};

export interface Limits {
  maxBodyBytes: number;
  maxBatch: number;
}

/** What a POST body is under the contract. `maybe`: the contract does not decide (e.g. a lone surrogate); 200 means stored. */
export type BodyClass =
  { kind: 'valid'; events: Heartbeat[] } | { kind: 'maybe'; events: Heartbeat[]; why: string } | { kind: 'invalid'; statuses: number[]; codes: string[] };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CONTROL = /[\u0000-\u001f\u007f]/;

type Check = 'ok' | 'maybe' | 'bad';

function nameCheck(v: unknown): Check {
  if (typeof v !== 'string' || v.length < 1 || v.length > 256 || CONTROL.test(v)) return 'bad';
  return v.isWellFormed() ? 'ok' : 'maybe';
}

function eventCheck(v: unknown): Check {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'bad';
  const e = v as Record<string, unknown>;
  if (!Object.hasOwn(e, 'user') || !Object.hasOwn(e, 'slug') || !Object.hasOwn(e, 'at')) return 'bad';
  const at = e.at;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0 || at > 1e9) return 'bad';
  const u = nameCheck(e.user);
  const s = nameCheck(e.slug);
  return u === 'bad' || s === 'bad' ? 'bad' : u === 'maybe' || s === 'maybe' ? 'maybe' : 'ok';
}

/** CONTRACT §2 for a body sent with an acceptable Content-Type. */
export function classifyBody(body: Buffer, limits: Limits): BodyClass {
  if (body.length > limits.maxBodyBytes) return { kind: 'invalid', statuses: [413], codes: ['payload_too_large'] };
  let bom = false;
  let bytes = body;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    // JSON (RFC 8259 §8.1) lets a parser ignore a byte order mark; the contract does not say.
    bom = true;
    bytes = body.subarray(3);
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return { kind: 'invalid', statuses: [400], codes: ['invalid_json'] };
  }
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  if (Array.isArray(value) && items.length === 0) return { kind: 'invalid', statuses: [400], codes: ['invalid_event'] };
  const checks = items.map(eventCheck);
  const anyBad = checks.includes('bad');
  if (items.length > limits.maxBatch) {
    // Which of the two a server reports first is not specified.
    return anyBad
      ? { kind: 'invalid', statuses: [413, 400], codes: ['payload_too_large', 'invalid_event'] }
      : { kind: 'invalid', statuses: [413], codes: ['payload_too_large'] };
  }
  if (anyBad)
    return bom
      ? { kind: 'invalid', statuses: [400], codes: ['invalid_json', 'invalid_event'] }
      : { kind: 'invalid', statuses: [400], codes: ['invalid_event'] };
  const events = items.map((v) => {
    const e = v as Heartbeat;
    return { user: e.user, slug: e.slug, at: e.at };
  });
  if (bom) return { kind: 'maybe', events, why: 'byte order mark' };
  if (checks.includes('maybe')) return { kind: 'maybe', events, why: 'lone surrogate in a name' };
  return { kind: 'valid', events };
}

/** Content-Type per CONTRACT §2: true JSON, false 415, null undecided (an empty header). */
export function contentTypeIsJson(values: string[]): boolean | null {
  if (values.length === 0) return true;
  if (values.length > 1) return null;
  const v = values[0]!;
  if (v.trim() === '') return null;
  const media = v.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json';
}

interface RouteModel {
  segments: string[];
  methods: string[];
}

const ROUTES: RouteModel[] = [
  // GET / is a small JSON index (issue 10), POST / the ingest alias.
  { segments: [''], methods: ['GET', 'POST'] },
  { segments: ['events'], methods: ['POST'] },
  { segments: ['healthz'], methods: ['GET'] },
  { segments: ['readyz'], methods: ['GET'] },
  { segments: ['series'], methods: ['GET'] },
  { segments: ['movies', 'top'], methods: ['GET'] },
  { segments: ['movies', ':'], methods: ['GET', 'PUT'] },
  { segments: ['movies', ':', 'watch-time'], methods: ['GET'] },
  { segments: ['movies', ':', 'retention'], methods: ['GET'] },
  { segments: ['movies', ':', 'series'], methods: ['GET'] },
  { segments: ['users', ':', 'watch-time'], methods: ['GET'] },
  { segments: ['users', ':', 'movies'], methods: ['GET'] },
  { segments: ['users', ':', 'continue-watching'], methods: ['GET'] },
  { segments: ['users', ':', 'movies', ':'], methods: ['GET'] },
  { segments: ['users', ':', 'movies', ':', 'latest'], methods: ['GET'] },
];

export interface RouteMatch {
  route: string;
  methods: string[];
  /** A parameter segment that is not valid percent-encoded UTF-8. */
  badEncoding: boolean;
}

/**
 * The contract's route for a raw path (query removed) and method, or null. A fixed segment wins
 * over a parameter for the methods it has (`GET /movies/top` is the top list), and a parameter
 * route serves the others (`PUT /movies/top` stores a movie named "top", as routers that match
 * by method do). No route with the method: the first match (a 405, with every match's methods).
 */
export function matchRoute(path: string, method = 'GET'): RouteMatch | null {
  const parts = path.split('/').slice(1);
  const matches: RouteMatch[] = [];
  for (const r of ROUTES) {
    if (r.segments.length !== parts.length) continue;
    let ok = true;
    let bad = false;
    for (let i = 0; i < parts.length && ok; i++) {
      const p = r.segments[i]!;
      if (p === ':') {
        if (parts[i] === '') ok = false;
        else if (!decodes(parts[i]!)) bad = true;
      } else if (p !== parts[i]) ok = false;
    }
    if (ok) matches.push({ route: '/' + r.segments.join('/'), methods: r.methods, badEncoding: bad });
  }
  const wanted = method === 'HEAD' ? 'GET' : method;
  const served = matches.find((m) => m.methods.includes(wanted));
  if (served) return served;
  return matches[0] ? { ...matches[0], methods: [...new Set(matches.flatMap((m) => m.methods))] } : null;
}

/** `limit` per CONTRACT §4: true valid or absent, false 400, null unclear (given twice). */
export function limitOk(query: string, max: number): boolean | null {
  const values = new URLSearchParams(query).getAll('limit');
  if (values.length === 0) return true;
  if (values.length > 1) return null;
  const v = values[0]!;
  return /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= max;
}

/** A stack trace or a file path in an answer is a leak (issue 4, item 6). */
const LEAK = /\n\s+at |node:internal|\/dist\/|\.js:\d+:\d+/;

/**
 * Problems with an answer whatever the request: status in the contract's set, JSON body, error
 * shape, Allow on 405, Retry-After on 503/507, no stack trace, nothing after the response.
 * Returns the parsed body (undefined for HEAD or unparsable).
 */
export function wellFormed(a: Answer, head: boolean, problems: string[]): unknown {
  if (!CONTRACT_STATUSES.has(a.status)) problems.push(`status ${a.status} is not one of the contract's`);
  if (a.extra > 0) problems.push(`bytes after the end of the response${head ? ' (a HEAD response must not carry a body)' : ''}`);
  if (a.status === 405 && !header(a, 'allow')) problems.push('405 without Allow');
  if ((a.status === 503 || a.status === 507) && !header(a, 'retry-after')) problems.push(`${a.status} without Retry-After`);
  if (head) return undefined;
  const type = header(a, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) problems.push(`Content-Type ${JSON.stringify(type)} is not application/json`);
  const text = a.body.toString('utf8');
  if (LEAK.test(text)) problems.push('the body looks like it carries a stack trace or a file path');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`body is not JSON: ${JSON.stringify(text.slice(0, 120))}`);
    return undefined;
  }
  if (a.status >= 400) {
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b !== 'object' || b === null || typeof b.error !== 'string' || typeof b.message !== 'string' || b.message === '') {
      problems.push(`error body without string "error" and "message": ${text.slice(0, 120)}`);
    } else if (!(ERROR_CODES[a.status] ?? []).includes(b.error)) {
      problems.push(`error code ${JSON.stringify(b.error)} for status ${a.status}`);
    }
  }
  return body;
}

/** The keys a 200 body of each method and route has (CONTRACT §4, §5). */
export const OK_KEYS: Record<string, string[]> = {
  'POST /': ['accepted'],
  'GET /': ['links'],
  'POST /events': ['accepted'],
  'GET /series': ['step', 'from', 'to', 'items'],
  'GET /movies/top': ['items'],
  'GET /movies/:': ['slug', 'watchTime', 'viewers'],
  'PUT /movies/:': ['slug', 'duration'],
  'GET /movies/:/watch-time': ['slug', 'watchTime', 'viewers'],
  'GET /movies/:/retention': ['slug', 'bucketSeconds', 'viewers', 'buckets'],
  'GET /movies/:/series': ['step', 'from', 'to', 'items'],
  'GET /users/:/watch-time': ['user', 'watchTime', 'movies'],
  'GET /users/:/movies': ['user', 'items'],
  'GET /users/:/continue-watching': ['user', 'items'],
  'GET /users/:/movies/:': ['user', 'slug', 'watchTime', 'at', 'furthest', 'events', 'updatedAt', 'lateEvents'],
  'GET /users/:/movies/:/latest': ['user', 'slug', 'at', 'updatedAt'],
};

/** Whether a path segment is valid percent-encoded UTF-8. */
export function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
