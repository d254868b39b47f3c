import { connect, type Socket } from 'node:net';

/** One parsed HTTP/1.1 response. Header names are lower-case; repeated headers keep every value. */
export interface Answer {
  status: number;
  headers: Map<string, string[]>;
  body: Buffer;
  /** Bytes the server sent after the end of this response (a HEAD response with a body, ...). */
  extra: number;
  /** The server closed the connection after the response. */
  closed: boolean;
}

export type Outcome =
  | { kind: 'answer'; answer: Answer; ms: number }
  /** The server closed the connection without a complete response. */
  | { kind: 'closed'; partial: string; ms: number }
  /** Nothing complete within the timeout; the client gave up and closed. */
  | { kind: 'timeout'; partial: string; ms: number }
  | { kind: 'malformed'; why: string; partial: string; ms: number };

export function header(a: Answer, name: string): string | undefined {
  return a.headers.get(name)?.[0];
}

type Parsed = { answer: Omit<Answer, 'extra' | 'closed'>; used: number } | { need: true } | { error: string };

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** Parses one response from `buf` (interim 1xx responses skipped); `eof`: the server closed. */
function parse(buf: Buffer, head: boolean, eof: boolean): Parsed {
  let start = 0;
  for (;;) {
    const end = buf.indexOf(HEAD_END, start);
    if (end < 0) return buf.length - start > MAX_HEAD ? { error: 'response head over 64 KiB' } : { need: true };
    const lines = buf.subarray(start, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!m) return { error: `bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}` };
    const status = Number(m[1]);
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { error: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
      const name = line.slice(0, colon).toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      start = bodyStart;
      continue;
    }
    if (head || status === 204 || status === 304) return { answer: { status, headers, body: Buffer.alloc(0) }, used: bodyStart };
    const length = headers.get('content-length');
    if (length) {
      if (length.length > 1 || !/^[0-9]+$/.test(length[0]!)) return { error: `bad Content-Length ${JSON.stringify(length)}` };
      const n = Number(length[0]);
      if (buf.length < bodyStart + n) return { need: true };
      return { answer: { status, headers, body: buf.subarray(bodyStart, bodyStart + n) }, used: bodyStart + n };
    }
    if (headers.get('transfer-encoding')?.some((v) => /chunked/i.test(v))) {
      const chunks: Buffer[] = [];
      let at = bodyStart;
      for (;;) {
        const eol = buf.indexOf('\r\n', at);
        if (eol < 0) return { need: true };
        const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
        if (!Number.isFinite(size)) return { error: 'bad chunk size' };
        if (buf.length < eol + 2 + size + 2) return { need: true };
        if (size === 0) return { answer: { status, headers, body: Buffer.concat(chunks) }, used: eol + 4 };
        chunks.push(buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    // No length: the body runs to the end of the connection.
    return eof ? { answer: { status, headers, body: buf.subarray(bodyStart) }, used: buf.length } : { need: true };
  }
}

/**
 * A raw HTTP/1.1 connection to 127.0.0.1: writes exactly the bytes given (so bodies, lengths and
 * paths can be anything) and parses the answer itself. Keep-alive: reused until the server closes
 * it, sends something unexpected, or an exchange times out.
 */
export class RawConnection {
  private socket: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;
  private wake: (() => void) | null = null;
  /** The previous exchange on this connection (request line and status), for reports. */
  previous = '';
  private current = '';
  private exchanges = 0;
  private lastAt = Date.now();

  constructor(readonly port: number) {}

  get open(): boolean {
    return this.socket !== null && !this.eof;
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: this.port });
      s.setNoDelay(true);
      this.buf = Buffer.alloc(0);
      this.eof = false;
      // Events of a socket this connection has already replaced must not touch the new one.
      s.on('data', (d: Buffer) => {
        if (this.socket !== s) return;
        this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
        this.wake?.();
      });
      s.on('close', () => {
        if (this.socket !== s) return;
        this.eof = true;
        this.wake?.();
      });
      s.on('error', () => {});
      s.once('connect', () => resolve());
      s.once('error', reject);
      this.socket = s;
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  /**
   * Sends `request` (all at once, or in `parts` with `gapMs` between them) and waits for one
   * response. `head`: the request is a HEAD (the response has no body).
   */
  async exchange(request: Buffer | Buffer[], o: { head: boolean; timeoutMs: number; gapMs?: number }): Promise<Outcome> {
    if (!this.open) {
      this.close();
      await this.connect();
      this.current = '';
      this.exchanges = 0;
    }
    this.previous = `${this.current} (exchange ${++this.exchanges} on this connection, idle ${Date.now() - this.lastAt} ms before this one)`;
    const first = Array.isArray(request) ? request[0]! : request;
    this.current = first.subarray(0, Math.max(0, Math.min(120, first.indexOf('\r\n')))).toString('latin1');
    const socket = this.socket!;
    const t0 = performance.now();
    const ms = (): number => performance.now() - t0;
    const deadline = Date.now() + o.timeoutMs;
    const parts = Array.isArray(request) ? request : [request];
    let sending = true;
    void (async () => {
      for (let i = 0; i < parts.length && !socket.destroyed; i++) {
        if (i > 0 && o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
        if (!socket.destroyed) socket.write(parts[i]!);
      }
      sending = false;
    })();
    for (;;) {
      const p = parse(this.buf, o.head, this.eof);
      if ('answer' in p) {
        // Give a HEAD response's illegal body (or anything else trailing) a moment to show up.
        if (o.head && !this.eof) await this.waitFor(50);
        const extra = this.buf.length - p.used;
        const answer: Answer = { ...p.answer, body: Buffer.from(p.answer.body), extra, closed: this.eof };
        this.buf = Buffer.alloc(0);
        // The server closes after answering a request that asked for it (Connection: close).
        const asked = /\r\nconnection:[ \t]*close/i.test(
          first
            .subarray(0, 64 * 1024)
            .toString('latin1')
            .split('\r\n\r\n', 1)[0]!,
        );
        const close = extra > 0 || this.eof || asked || answer.headers.get('connection')?.some((v) => /close/i.test(v)) || sending;
        this.current += ` -> ${answer.status}`;
        this.lastAt = Date.now();
        if (close) this.close();
        return { kind: 'answer', answer, ms: ms() };
      }
      const partial = this.buf.subarray(0, 200).toString('latin1');
      if ('error' in p) {
        this.close();
        return { kind: 'malformed', why: p.error, partial, ms: ms() };
      }
      if (this.eof) {
        this.close();
        return { kind: 'closed', partial, ms: ms() };
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.close();
        return { kind: 'timeout', partial, ms: ms() };
      }
      await this.waitFor(left);
    }
  }

  private waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

/** The bytes of an HTTP/1.1 request. `target` and header values are byte strings (latin1). */
export function buildRequest(
  method: string,
  target: string,
  headers: [string, string][],
  body: Buffer | null,
  contentLength: 'auto' | 'none' = 'auto',
): Buffer {
  let head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  if (body && contentLength === 'auto') head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const h = Buffer.from(head, 'latin1');
  return body ? Buffer.concat([h, body]) : h;
}
