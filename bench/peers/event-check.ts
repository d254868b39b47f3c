/**
 * The event checks of CONTRACT §2 for the plain peer (Fastify checks the same with a JSON
 * schema): user and slug 1..256 characters without control characters, `at` a number in 0..1e9.
 */
export interface PeerEvent {
  user: string;
  slug: string;
  at: number;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

const isName = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 256 && !CONTROL.test(v);

function isEvent(v: unknown): v is PeerEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as { user?: unknown; slug?: unknown; at?: unknown };
  return isName(e.user) && isName(e.slug) && typeof e.at === 'number' && e.at >= 0 && e.at <= 1e9;
}

/** The events of a body (one object or an array of 1..maxBatch), or null if it is not valid. */
export function eventsOf(body: unknown, maxBatch: number): PeerEvent[] | null {
  if (!Array.isArray(body)) return isEvent(body) ? [body] : null;
  if (body.length === 0 || body.length > maxBatch) return null;
  for (const e of body) if (!isEvent(e)) return null;
  return body as PeerEvent[];
}
