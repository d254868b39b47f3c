/**
 * A request or reply between a front and a member over NATS request/reply: one byte of frame
 * kind (protocol's Kind: Ingest, Query; Ack, Result, Failure) then the same body a frame over the
 * Unix socket carries. So a member answers both transports with one handler.
 */
export function encodeMessage(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

export function decodeMessage(data: Uint8Array): { kind: number; body: Buffer } {
  if (data.length < 1) throw new Error('empty member message');
  return { kind: data[0]!, body: Buffer.from(data.buffer, data.byteOffset + 1, data.byteLength - 1) };
}
