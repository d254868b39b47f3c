import type { HttpResponse } from 'uWebSockets.js';
import { logger } from '../log.js';
import { compress, MIN_COMPRESS_BYTES, negotiate, StaticBody } from './compress.js';
import { ApiError, tooLarge } from './errors.js';

const STATUS: Record<number, string> = {
  200: '200 OK',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
  507: '507 Insufficient Storage',
};

/** Called once per answered exchange, before it is written (metrics, debug request lines). */
export type ResponseObserver = (ex: Exchange, status: number, body: unknown) => void;

/** A server-sent event stream opened by Exchange.sse(). */
export interface EventStream {
  /** The client went away, or the stream was closed. */
  readonly closed: boolean;
  /** Writes `text` (one or more `data:` events); false when the socket's buffer is backed up. */
  write(text: string): boolean;
  close(): void;
}

/**
 * One HTTP exchange. uWebSockets.js forbids touching a response after the client went away,
 * so every write goes through here and checks `aborted` first.
 */
export class Exchange {
  aborted = false;
  done = false;
  /** What the request was, once known: for metrics and logs. */
  method = '';
  route = '';
  /** CORS headers for every answer (set by the app when CORS_ORIGINS is); null: none. */
  cors: Record<string, string> | null = null;
  /** The request's Accept-Encoding, read only for routes that compress. */
  acceptEncoding: string | undefined;
  readonly startedAt = performance.now();

  constructor(
    private readonly res: HttpResponse,
    private readonly onResponse: ResponseObserver | null = null,
  ) {
    res.onAborted(() => {
      this.aborted = true;
    });
  }

  /** Status line and headers, in one place for every kind of answer. Call inside a cork. */
  private writeHead(status: number, contentType: string, headers: Record<string, string>): void {
    this.res.writeStatus(STATUS[status] ?? String(status));
    if (contentType !== '') this.res.writeHeader('Content-Type', contentType);
    for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
    if (this.cors !== null) for (const [k, v] of Object.entries(this.cors)) this.res.writeHeader(k, v);
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.onResponse?.(this, status, body);
    const text = JSON.stringify(body);
    this.res.cork(() => {
      this.writeHead(status, 'application/json', headers);
      this.finish(text);
    });
  }

  /** A non-JSON answer (the docs page, its assets, the metrics text). */
  send(status: number, contentType: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.onResponse?.(this, status, undefined);
    this.res.cork(() => {
      this.writeHead(status, contentType, headers);
      this.finish(body);
    });
  }

  /**
   * Like send(), in the coding the request asked for (Accept-Encoding: br, gzip) on a route
   * marked `compress`. A StaticBody's codings are computed once and kept; any other body is
   * compressed for this answer. Always with `Vary: Accept-Encoding`, so caches keep codings apart.
   */
  sendCompressible(status: number, contentType: string, body: StaticBody | string | Uint8Array, headers: Record<string, string> = {}): void {
    if (this.aborted || this.done) return;
    const coding = negotiate(this.acceptEncoding);
    const plain = { ...headers, Vary: 'Accept-Encoding' };
    const identity = body instanceof StaticBody ? body.identity : typeof body === 'string' ? Buffer.from(body) : body;
    const encoded =
      coding === null
        ? null
        : body instanceof StaticBody
          ? body.in(coding)
          : identity.byteLength >= MIN_COMPRESS_BYTES
            ? compress(identity, coding, 'dynamic')
            : null;
    if (encoded === null) {
      this.send(status, contentType, identity, plain);
      return;
    }
    encoded.then(
      (bytes) => this.send(status, contentType, bytes, { ...plain, 'Content-Encoding': coding! }),
      (err: unknown) => {
        // The client can still have the body as it is.
        logger().warn({ err, route: this.route }, `${coding} compression failed; answering uncompressed`);
        this.send(status, contentType, identity, plain);
      },
    );
  }

  /** An answer without a body or Content-Length (204: the preflight of a cross-origin request). */
  empty(status: number, headers: Record<string, string>): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.onResponse?.(this, status, undefined);
    this.res.cork(() => {
      this.writeHead(status, '', headers);
      this.res.endWithoutBody();
    });
  }

  /**
   * Answers 200 with a server-sent event stream that stays open: the caller writes events to the
   * returned stream. `retryMs` tells the browser how soon to reconnect. (Not seen by onResponse:
   * a stream has no single answer to time.)
   */
  sse(retryMs: number): EventStream {
    const { res } = this;
    if (this.aborted || this.done) return { closed: true, write: () => false, close: () => {} };
    this.done = true;
    const head = this.method === 'HEAD';
    res.cork(() => {
      this.writeHead(200, 'text/event-stream', { 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
      // HEAD: the headers of the stream and nothing else (a stream has no length to report).
      if (head) res.endWithoutBody();
      else res.write(`retry: ${retryMs}\n\n`);
    });
    if (head) return { closed: true, write: () => false, close: () => {} };
    const aborted = (): boolean => this.aborted;
    return {
      get closed() {
        return aborted();
      },
      write(text: string): boolean {
        if (aborted()) return false;
        let ok = true;
        res.cork(() => {
          ok = res.write(text);
        });
        return ok;
      },
      close(): void {
        if (!aborted()) res.close();
      },
    };
  }

  /**
   * Ends the response. HEAD gets the headers with the Content-Length the GET would carry (RFC 9110
   * §9.3.2) and no body. uWS's end('') would say 0, and endWithoutBody(n) leaves the connection
   * expecting n more bytes (the next request on it is lost); the header written here plus
   * endWithoutBody() without a length keeps the connection reusable (tested on raw sockets).
   */
  private finish(body: string | Uint8Array): void {
    if (this.method === 'HEAD') {
      this.res.writeHeader('Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
      this.res.endWithoutBody();
    } else this.res.end(body);
  }

  error(err: unknown): void {
    const api = err instanceof ApiError ? err : internal(err, this);
    this.json(api.status, api.body(), api.headers);
  }

  /** Reads and drops the body (call before answering early): the connection stays usable. */
  discardBody(): void {
    this.res.onData(() => {});
  }

  /** Reads the whole body, or answers 413 as soon as it grows past `limit` bytes. */
  readBody(limit: number, onBody: (body: Buffer) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    this.res.onData((chunk, isLast) => {
      if (this.done) return;
      size += chunk.byteLength;
      if (size > limit) {
        // Answer now, then read and drop the rest (`done` makes later chunks no-ops): closing
        // with unread data would reset the connection and destroy the 413 before it is read.
        this.error(tooLarge(limit));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  }
}

function internal(err: unknown, ex: Exchange): ApiError {
  // Log the detail for operators; never send a stack trace to the client.
  logger().error({ err, method: ex.method, route: ex.route }, 'internal error while handling a request');
  return new ApiError(500, 'internal', 'The server failed to handle this request; it has been logged.');
}
