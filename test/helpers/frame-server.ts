import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kind, packr, type Hello } from '../../src/protocol/index.js';
import { listenFrames, type FrameHandler, type Reply } from '../../src/transport/server.js';

/** A request the stand-in shard received, with the means to answer it later (or never). */
export interface Received {
  kind: number;
  id: number;
  body: Buffer;
  reply: Reply;
}

/**
 * A stand-in for a shard's frame server, on the real transport server (`listenFrames`) and a real
 * Unix socket: it says hello as shard `hello.shard` of `hello.shards` (unless `hello` is null) and
 * hands every request to `onRequest`, which answers or holds it. For testing the front's side.
 */
export class FrameServer {
  readonly received: Received[] = [];
  /** Times a client connected. */
  accepted: number[] = [];
  onRequest: FrameHandler = () => {};
  /** When set, every connection is dropped as soon as it is accepted (a shard dying at start). */
  hangUp = false;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    public hello: Hello | null = { shard: 0, shards: 1, pid: process.pid },
  ) {}

  /** Creates a socket path in a fresh temp directory (Unix socket paths must stay short). */
  static tempPath(): { path: string; cleanup: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'wt-fs-'));
    return { path: join(dir, 's.sock'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  async start(): Promise<this> {
    const server = await listenFrames(
      this.path,
      (kind, id, body, reply) => {
        this.received.push({ kind, id, body, reply });
        this.onRequest(kind, id, body, reply);
      },
      (reply) => {
        this.accepted.push(performance.now());
        if (this.hello) reply(Kind.Hello, 0, packr.pack(this.hello));
      },
    );
    server.on('connection', (socket) => {
      if (this.hangUp) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return this;
  }

  /** Drops every connection, as a shard that crashed would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Stops listening and drops every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }
}

/** Resolves once `cond()` holds, polling every few ms; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
