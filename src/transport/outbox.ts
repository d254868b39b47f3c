import type { Socket } from 'node:net';

/** Collects the frames of one event-loop turn and sends them in one write: one syscall, not N. */
export class Outbox {
  private frames: Buffer[] = [];
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  send(frame: Buffer): void {
    this.frames.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const frames = this.frames;
    this.frames = [];
    if (!this.socket.writable) return;
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }
}
