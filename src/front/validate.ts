import { Compile } from 'typebox/compile';
import { ApiError } from '../http/index.js';
import { AT_MAX, CONTROL_CHAR, Event, NAME_MAX, TS_MAX } from '../api/event-schema.js';

const hasControlChar = new RegExp(`[${CONTROL_CHAR}]`);

const checkEvent = Compile(Event);
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Details beyond this many are summarised: the first few are what a person fixes first. */
const MAX_DETAILS = 20;

export interface Detail {
  path: string;
  message: string;
}

/** The body as JSON, or the contract's 400 invalid_json. */
export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(body));
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : 'the body is not valid UTF-8';
    throw new ApiError(400, 'invalid_json', `The request body is not valid JSON: ${why}`);
  }
}

/** Parses a request body into events, or throws the contract's 400/413 error. */
export function parseEvents(body: Uint8Array, maxBatch: number): Event[] {
  const value = parseJson(body);
  const single = !Array.isArray(value);
  const items: unknown[] = single ? [value] : (value as unknown[]);
  if (!single && items.length === 0) {
    throw invalid([{ path: '', message: 'must be an event object or a non-empty array of events' }]);
  }
  if (items.length > maxBatch) {
    throw new ApiError(413, 'payload_too_large', `A request may carry at most ${maxBatch} events (MAX_BATCH); this one has ${items.length}. Split it.`, {
      limit: maxBatch,
    });
  }
  const details: Detail[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (checkEvent.Check(item) && nameOk(item.user) && nameOk(item.slug)) continue;
    eventErrors(item, single ? '' : `/${i}`, details);
    if (details.length >= MAX_DETAILS) break;
  }
  if (details.length > 0) throw invalid(details);
  // Only the contract's fields travel on: unknown properties are not stored.
  return (items as Event[]).map((e) => (e.ts === undefined ? { user: e.user, slug: e.slug, at: e.at } : { user: e.user, slug: e.slug, at: e.at, ts: e.ts }));
}

/** What the schema cannot say: length in UTF-16 units (JSON Schema counts code points), well-formed. */
export function nameOk(name: string): boolean {
  return name.length <= NAME_MAX && name.isWellFormed();
}

function invalid(details: Detail[]): ApiError {
  const first = details[0]!;
  const where = first.path === '' ? 'the body' : first.path;
  return new ApiError(400, 'invalid_event', `Invalid event: ${where} ${first.message}. Nothing from this request was stored.`, {
    details,
  });
}

const NAME_RULE = `a string of 1..${NAME_MAX} characters without control characters`;

function eventErrors(item: unknown, prefix: string, out: Detail[]): void {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    out.push({ path: prefix, message: 'must be an object {"user": string, "slug": string, "at": number}' });
    return;
  }
  const e = item as Record<string, unknown>;
  for (const field of ['user', 'slug'] as const) {
    const path = `${prefix}/${field}`;
    if (!Object.hasOwn(e, field)) out.push({ path, message: `is required (${NAME_RULE})` });
    else nameErrors(e[field], path, out);
  }
  const path = `${prefix}/at`;
  const at = e.at;
  if (!Object.hasOwn(e, 'at')) out.push({ path, message: 'is required (playback position in seconds, a number 0..1e9)' });
  else if (typeof at !== 'number') out.push({ path, message: `must be a JSON number 0..1e9, got ${typeName(at)}` });
  else if (!Number.isFinite(at) || at < 0 || at > AT_MAX) out.push({ path, message: `must be between 0 and 1e9, got ${at}` });
  if (Object.hasOwn(e, 'ts')) {
    const ts = e.ts;
    const rule = 'an integer number of milliseconds since the Unix epoch, 0..1e13 (or leave it out)';
    if (typeof ts !== 'number') out.push({ path: `${prefix}/ts`, message: `must be ${rule}, got ${typeName(ts)}` });
    else if (!Number.isInteger(ts) || ts < 0 || ts > TS_MAX) out.push({ path: `${prefix}/ts`, message: `must be ${rule}, got ${ts}` });
  }
}

/** What is wrong with a present name (or title): 1..256 characters, no control characters, well-formed. */
export function nameErrors(v: unknown, path: string, out: Detail[]): void {
  if (typeof v !== 'string') out.push({ path, message: `must be ${NAME_RULE}, got ${typeName(v)}` });
  else if (v.length === 0) out.push({ path, message: 'must not be empty' });
  else if (v.length > NAME_MAX) out.push({ path, message: `must be at most ${NAME_MAX} characters, got ${v.length}` });
  else if (hasControlChar.test(v)) out.push({ path, message: 'must not contain control characters (U+0000-U+001F, U+007F)' });
  else if (!v.isWellFormed()) out.push({ path, message: 'must be well-formed Unicode (it has a lone surrogate)' });
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `a ${typeof v}`;
}
