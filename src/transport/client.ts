import { connect, type Socket } from 'node:net';
import { WtError } from '../errors.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import { Kind, packr, type Hello, type ShardFailure } from '../protocol/index.js';
import { Outbox } from './outbox.js';

/** The shard cannot take or confirm the request now; the client should retry later. */
export class ShardUnavailable extends WtError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** The shard answered the request with a failure (e.g. its disk is full); `code` is the failure's. */
export class ShardRejected extends WtError {
  constructor(readonly failure: ShardFailure) {
    super(failure.code, failure.message);
  }
}

interface InFlight {
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  deadline: number;
  weight: number;
}

export interface ShardClientOptions {
  shards: number;
  ackTimeoutMs: number;
  /** Requests are refused once this many events are waiting for this shard: memory stays bounded. */
  maxInflightEvents: number;
}

const BACKOFF_MIN_MS = 25;
const BACKOFF_MAX_MS = 1000;

/**
 * The front's connection to one shard: request/response by id over one Unix socket, frames of a
 * turn written together, reconnect with backoff when the shard restarts. A request the shard has
 * not answered within ackTimeoutMs, or that was in flight when the connection dropped, fails with
 * ShardUnavailable: the front then answers 503, never a 200 it cannot vouch for.
 */
export class ShardClient {
  private socket: Socket | null = null;
  private outbox: Outbox | null = null;
  private readonly inflight = new Map<number, InFlight>();
  /**
   * Requests already answered 503 for want of a reply, by id → weight. The shard may still be
   * holding them (stalled, not dead), so they keep counting toward the in-flight bound until it
   * replies or the connection drops: a stalled shard cannot be fed a little more every timeout.
   */
  private readonly expired = new Map<number, number>();
  /** Weight of `inflight` plus `expired`. */
  private inflightWeight = 0;
  private nextId = 1;
  private backoff = BACKOFF_MIN_MS;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;
  /** True once the shard has said hello: it has recovered and takes requests. */
  ready = false;
  /** Times the connection was (re)established; 1 after the first. */
  connections = 0;

  constructor(
    readonly shard: number,
    private readonly path: string,
    private readonly options: ShardClientOptions,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.sweeper = setInterval(() => this.expire(), Math.min(100, options.ackTimeoutMs / 2));
    this.sweeper.unref();
    this.open();
  }

  /** Requests whose HTTP answer still waits on this shard (what a graceful stop drains). */
  get unanswered(): number {
    return this.inflight.size;
  }

  get pendingEvents(): number {
    return this.inflightWeight;
  }

  private open(): void {
    if (this.closed) return;
    const socket = connect(this.path);
    this.socket = socket;
    const decoder = new FrameDecoder((kind, id, body) => this.onFrame(kind, id, body));
    socket.on('data', (chunk) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        this.log(`shard ${this.shard}: ${(err as Error).message}; reconnecting`);
        socket.destroy();
      }
    });
    socket.on('error', () => {}); // 'close' follows and handles it
    socket.on('close', () => this.onClose(socket));
    // One write per turn: each HTTP request queues its frame from its own callback.
    this.outbox = new Outbox(socket, 'turn');
  }

  private onFrame(kind: number, id: number, body: Buffer): void {
    if (kind === Kind.Hello) {
      const hello = packr.unpack(body) as Hello;
      if (hello.shard !== this.shard || hello.shards !== this.options.shards) {
        this.log(`shard socket ${this.path} answered as shard ${hello.shard} of ${hello.shards}; expected ${this.shard} of ${this.options.shards}`);
        this.socket?.destroy();
        return;
      }
      this.ready = true;
      this.connections++;
      this.backoff = BACKOFF_MIN_MS;
      return;
    }
    const call = this.inflight.get(id);
    if (!call) {
      // Timed out earlier (already answered 503): only its weight is still held.
      this.inflightWeight -= this.expired.get(id) ?? 0;
      this.expired.delete(id);
      return;
    }
    this.inflight.delete(id);
    this.inflightWeight -= call.weight;
    if (kind === Kind.Failure) call.reject(new ShardRejected(packr.unpack(body) as ShardFailure));
    else call.resolve(body);
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasReady = this.ready;
    this.ready = false;
    this.socket = null;
    this.outbox = null;
    this.failAll(`shard ${this.shard} connection closed before it confirmed the request`);
    if (this.closed) return;
    if (wasReady) this.log(`shard ${this.shard} disconnected; reconnecting`);
    setTimeout(() => this.open(), this.backoff).unref();
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
  }

  /**
   * Sends a request frame; resolves with the reply body. `weight` counts toward the in-flight
   * bound. `now` writes at once instead of with the rest of the turn (the caller batched already).
   */
  request(kind: number, body: Uint8Array, weight = 1, now = false): Promise<Buffer> {
    if (!this.ready || !this.outbox) {
      return Promise.reject(new ShardUnavailable(`shard ${this.shard} is not connected (restarting or recovering)`));
    }
    if (this.inflightWeight + weight > this.options.maxInflightEvents && this.inflightWeight > 0) {
      return Promise.reject(new ShardUnavailable(`shard ${this.shard} is overloaded (${this.inflightWeight} events waiting)`));
    }
    const id = this.nextId;
    this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
    this.inflightWeight += weight;
    const outbox = this.outbox;
    return new Promise<Buffer>((resolve, reject) => {
      this.inflight.set(id, { resolve, reject, deadline: Date.now() + this.options.ackTimeoutMs, weight });
      outbox.send(encodeFrame(kind, id, body), now);
    });
  }

  /** Fails requests past their deadline. Map order is send order, so the oldest come first. */
  private expire(): void {
    const now = Date.now();
    for (const [id, call] of this.inflight) {
      if (call.deadline > now) break;
      this.inflight.delete(id);
      this.expired.set(id, call.weight);
      call.reject(new ShardUnavailable(`shard ${this.shard} did not confirm within ${this.options.ackTimeoutMs} ms`));
    }
  }

  private failAll(message: string): void {
    for (const call of this.inflight.values()) call.reject(new ShardUnavailable(message));
    this.inflight.clear();
    this.expired.clear();
    this.inflightWeight = 0;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.socket?.destroy();
  }
}
