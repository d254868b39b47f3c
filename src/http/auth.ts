import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';
import type { Handler } from './router.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Bearer-token check for one class of routes (ingest or query). No token configured: open.
 * Compares SHA-256 digests with timingSafeEqual, so neither the token nor its length leaks
 * through timing, and the error never echoes what was sent.
 */
export function bearerCheck(token: string | undefined, what: string): (authorization: string | undefined) => void {
  if (!token) return () => {};
  const expected = digest(token);
  return (authorization) => {
    const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new ApiError(
        401,
        'unauthorized',
        `${what} needs the header "Authorization: Bearer <token>" with the configured token.`,
        {},
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
  };
}

/** `handler` behind `check` (a bearerCheck): the request's Authorization header is checked first. */
export function guard(check: (authorization: string | undefined) => void, handler: Handler): Handler {
  return (ex, req) => {
    check(req.headers.authorization);
    handler(ex, req);
  };
}
