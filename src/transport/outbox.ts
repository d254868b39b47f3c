import type { Socket } from 'node:net';

/**
 * When queued frames go out: 'callback' right after the callback that queued them (a microtask:
 * a socket read with many requests, or an LMDB commit that settles many batches, makes one
 * write and no extra turn of latency); 'turn' once per event-loop turn (setImmediate), for a
 * sender whose frames each come from their own callback (the front: one uWebSockets.js callback
 * per HTTP request), so the requests of one turn share one write and one wake-up of the reader.
 */
export type FlushOn = 'callback' | 'turn';

/** Collects frames and sends them in one write, one syscall for many frames. */
export class Outbox {
  private frames: Buffer[] = [];
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly socket: Socket,
    private readonly flushOn: FlushOn = 'callback',
  ) {}

  /** Queues a frame; `now` writes it (and anything queued) at once, for callers that already batch. */
  send(frame: Buffer, now = false): void {
    this.frames.push(frame);
    if (now) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      if (this.flushOn === 'turn') setImmediate(this.flushSoon);
      else queueMicrotask(this.flushSoon);
    }
  }

  private flush(): void {
    const frames = this.frames;
    this.frames = [];
    if (frames.length === 0 || !this.socket.writable) return;
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }
}
