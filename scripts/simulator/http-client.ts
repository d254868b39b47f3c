import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A failed exchange: no status. `maybeStored` is false only when the request cannot have reached the service. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly maybeStored: boolean,
  ) {
    super(message);
  }
}

/**
 * A small HTTP/1.1 client over one keep-alive Agent: at most `connections` sockets, each request
 * bounded by `timeoutMs`. Paths are sent as given (already percent-encoded), never normalised.
 * `url` may list several comma-separated origins (the hosts of a cluster): requests take turns.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  readonly origin: URL;
  private readonly origins: URL[];
  private turn = 0;

  constructor(
    url: string,
    readonly connections: number,
    readonly timeoutMs: number,
    /** Bearer tokens sent with writes (POST, PUT) and GETs, if set (the service's INGEST_TOKEN and QUERY_TOKEN). */
    private readonly tokens: { post?: string | undefined; get?: string | undefined } = {},
  ) {
    this.origins = url.split(',').map((one) => {
      const parsed = new URL(one);
      if (parsed.protocol !== 'http:') throw new Error(`--url must be an http:// URL, got ${one}`);
      return parsed;
    });
    this.origin = this.origins[0]!;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  request(method: 'GET' | 'POST' | 'PUT', path: string, body?: string, extraHeaders: Record<string, string> = {}): Promise<HttpResult> {
    const origin = this.origins.length === 1 ? this.origin : this.origins[this.turn++ % this.origins.length]!;
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json', ...extraHeaders };
      const token = method === 'GET' ? this.tokens.get : this.tokens.post; // PUT /movies is a write, like ingest
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ agent: this.agent, host: origin.hostname.replace(/^\[|\]$/g, ''), port: origin.port || 80, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new NetworkError(`response failed: ${err.message}`, true)));
      });
      let connected = false;
      req.on('socket', (socket) => {
        // A reused keep-alive socket is already connected.
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const refused = !connected && (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN');
        reject(new NetworkError(`${method} ${path.length > 80 ? path.slice(0, 80) + '…' : path}: ${err.code ?? err.message}`, !refused));
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `/a/b` from raw names: every segment percent-encoded, so `/`, `%`, `?`, `#`, spaces survive. */
export function pathOf(...segments: string[]): string {
  return segments.map((s) => '/' + encodeURIComponent(s)).join('');
}
