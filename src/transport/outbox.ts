import type { Socket } from 'node:net';

/**
 * Collects the frames queued by one callback and sends them in one write, one syscall for many
 * frames. The flush is a microtask: it runs right after the callback that queued the frames (a
 * socket read with many requests, or an LMDB commit that settles many batches), so batching adds
 * no event-loop turn of latency. (Coalescing across HTTP requests is IngestBatcher's job.)
 */
export class Outbox {
  private frames: Buffer[] = [];
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  /** Queues a frame; `now` writes it (and anything queued) at once, for callers that already batch. */
  send(frame: Buffer, now = false): void {
    this.frames.push(frame);
    if (now) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    const frames = this.frames;
    this.frames = [];
    if (frames.length === 0 || !this.socket.writable) return;
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }
}
