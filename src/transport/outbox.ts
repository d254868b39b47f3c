import type { Socket } from 'node:net';

/** Collects the frames of one event-loop turn and sends them in one write: one syscall, not N. */
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
      setImmediate(() => {
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
