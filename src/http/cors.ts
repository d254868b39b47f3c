/**
 * Cross-origin access for browser applications (CORS_ORIGINS): `*`, or a list of origins such as
 * `https://app.example.com`. Without CORS_ORIGINS the app makes no Cors and sends no CORS header.
 */

/** Request headers a browser may send cross-origin (beyond the CORS-safelisted ones). */
const ALLOW_HEADERS = 'Content-Type, Authorization, Idempotency-Key';
/** Response headers a script may read besides the safelisted ones (Content-Type, Content-Length, ...). */
const EXPOSE_HEADERS = 'Retry-After, Allow, WWW-Authenticate';
/** How long a browser may reuse a preflight answer, seconds (Chromium caps it at 7200). */
const MAX_AGE = '7200';

export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;
  /** The same object for every request from an allowed origin under `*`: nothing built per request. */
  private readonly star: Record<string, string>;
  private readonly byOrigin = new Map<string, Record<string, string>>();
  private readonly varyOnly: Record<string, string> = { Vary: 'Origin' };

  constructor(origins: '*' | readonly string[]) {
    this.any = origins === '*';
    this.origins = new Set(origins === '*' ? [] : origins);
    this.star = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSE_HEADERS };
    for (const origin of this.origins) {
      // A list answers each origin with itself, so caches must keep the answers apart (Vary).
      this.byOrigin.set(origin, { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS, Vary: 'Origin' });
    }
  }

  /** Headers for an answer to a request with this Origin header (a browser sends one cross-origin). */
  headersFor(origin: string | undefined): Record<string, string> {
    if (this.any) return this.star;
    return (origin !== undefined && this.byOrigin.get(origin)) || this.varyOnly;
  }

  /**
   * Headers of the 204 answer to a preflight OPTIONS for a route that serves `allow`, besides
   * headersFor()'s (which every answer carries): what the browser may send, and for how long.
   */
  preflight(origin: string | undefined, allow: string): Record<string, string> {
    const allowed = 'Access-Control-Allow-Origin' in this.headersFor(origin);
    if (!allowed) return { Allow: `${allow}, OPTIONS` };
    return {
      Allow: `${allow}, OPTIONS`,
      'Access-Control-Allow-Methods': allow,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': MAX_AGE,
    };
  }
}
