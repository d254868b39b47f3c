import type { Config } from '../config.js';
import { ApiError, tooLarge, type Exchange, type Request } from '../http/index.js';

/** `application/json`, with or without parameters; an absent Content-Type is read as JSON. */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Reads a JSON request body for a write route (POST /events, PUT /movies/{slug}): 413 as soon as
 * it passes MAX_BODY_BYTES (or declares more), 415 for another Content-Type, then `onBody`.
 * `before` runs first (header checks) and may throw an ApiError to answer with instead.
 */
export function readJsonBody(config: Config, ex: Exchange, req: Request, onBody: (body: Buffer) => void, before?: () => void): void {
  const declared = Number(req.headers.contentLength);
  if (declared > config.maxBodyBytes) {
    ex.discardBody(); // registered before answering: uWS forbids touching a finished response
    ex.error(tooLarge(config.maxBodyBytes));
    return;
  }
  const json = isJson(req.headers.contentType);
  try {
    before?.();
  } catch (err) {
    ex.error(err);
    return;
  }
  ex.readBody(config.maxBodyBytes, (body) => {
    if (!json) {
      ex.error(new ApiError(415, 'unsupported_media_type', `Content-Type ${JSON.stringify(req.headers.contentType)} is not supported; send application/json.`));
      return;
    }
    try {
      onBody(body);
    } catch (err) {
      ex.error(err);
    }
  });
}
