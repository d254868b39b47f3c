/** A contract error response: `{"error": code, "message": message, ...extra}` with `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}

export const notFound = (message: string): ApiError => new ApiError(404, 'not_found', message);

export const unavailable = (message: string): ApiError =>
  new ApiError(503, 'unavailable', `${message}; nothing from this request is acknowledged, retry it`, {}, { 'Retry-After': '1' });
