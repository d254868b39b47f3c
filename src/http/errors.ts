import { WtError } from '../errors.js';

/** A contract error response: `{"error": code, "message": message, ...extra}` with `status`. */
export class ApiError extends WtError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }

  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}

export const notFound = (message: string): ApiError => new ApiError(404, 'not_found', message);

/** 503 with Retry-After: nothing was done; `message` says why and what to do (ingest and query say it differently). */
export const unavailable = (message: string): ApiError => new ApiError(503, 'unavailable', message, {}, { 'Retry-After': '1' });

export function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'payload_too_large', `The request body is larger than ${limit} bytes (MAX_BODY_BYTES). Send fewer events per request.`, {
    limit,
  });
}
