import { WtError } from '../errors.js';

/**
 * Length-prefixed frames between the front and the shards:
 *   u32 BE body length | u8 kind | u32 BE request id | body
 * The body of an ingest frame is the msgpack batch the shard stores in its log unchanged.
 */
export const HEADER_BYTES = 9;
/** Larger than any request the front accepts (MAX_BODY_BYTES) once re-encoded. */
export const MAX_FRAME_BODY = 256 * 1024 * 1024;

export function encodeFrame(kind: number, id: number, body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt8(kind, 4);
  frame.writeUInt32BE(id >>> 0, 5);
  frame.set(body, HEADER_BYTES);
  return frame;
}

export class FrameError extends WtError {
  constructor(message: string) {
    super('frame_invalid', message);
  }
}

/** Splits a byte stream into frames; `onFrame` gets a body that stays valid after the call. */
export class FrameDecoder {
  private pending: Buffer | null = null;

  constructor(private readonly onFrame: (kind: number, id: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buf.length - offset >= HEADER_BYTES) {
      const length = buf.readUInt32BE(offset);
      if (length > MAX_FRAME_BODY) throw new FrameError(`frame body of ${length} bytes exceeds ${MAX_FRAME_BODY}`);
      const end = offset + HEADER_BYTES + length;
      if (end > buf.length) break;
      const kind = buf.readUInt8(offset + 4);
      const id = buf.readUInt32BE(offset + 5);
      this.onFrame(kind, id, buf.subarray(offset + HEADER_BYTES, end));
      offset = end;
    }
    // Keep the unfinished tail as a copy so the chunk it came from can be released.
    this.pending = offset === buf.length ? null : Buffer.from(buf.subarray(offset));
  }
}
