import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Why an exchange produced no HTTP answer: refused, reset, timed out, ... (the errno or 'timeout'). */
export class NoReply extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * A keep-alive HTTP/1.1 client for 127.0.0.1, every exchange bounded by `timeoutMs`. Paths are sent
 * as given (already percent-encoded). Several ports (the hosts of a cluster): exchanges take turns,
 * so a retry after a refused connection goes to the next host.
 */
export class Client {
  private readonly agent: http.Agent;
  private readonly ports: number[];
  private turn = 0;

  constructor(
    ports: number | number[],
    sockets: number,
    readonly timeoutMs: number,
  ) {
    this.ports = typeof ports === 'number' ? [ports] : ports;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  get port(): number {
    return this.ports[0]!;
  }

  request(method: string, path: string, body?: string, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
    const port = this.ports.length === 1 ? this.ports[0]! : this.ports[this.turn++ % this.ports.length]!;
    return new Promise((resolve, reject) => {
      const h: http.OutgoingHttpHeaders = { ...headers };
      if (body !== undefined) {
        h['content-type'] ??= 'application/json';
        h['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ agent: this.agent, host: '127.0.0.1', port, method, path, headers: h }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err: NodeJS.ErrnoException) => reject(new NoReply(err.code ?? 'response error')));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new NoReply(err.code ?? err.message)));
      req.end(body);
    });
  }

  /** GET and parse the JSON body (any status). */
  async getJson(path: string): Promise<{ status: number; body: unknown }> {
    const r = await this.request('GET', path);
    return { status: r.status, body: JSON.parse(r.body) as unknown };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `/a/b` from raw names, every segment percent-encoded. */
export function pathOf(...segments: string[]): string {
  return segments.map((s) => '/' + encodeURIComponent(s)).join('');
}
