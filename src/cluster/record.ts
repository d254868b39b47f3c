/**
 * A log record: the items one append carried (opaque bytes, coalesced by group commit), framed as
 * [u32 length][bytes]..., plus headers naming the writer and the sequence it expected before it.
 */
export const HDR_PREV = 'Wt-Prev';
export const HDR_OWNER = 'Wt-Owner';
export const HDR_MSG_ID = 'Nats-Msg-Id';

export interface LogRecord {
  partition: number;
  /** Stream sequence of this record. */
  seq: number;
  /** The subject sequence its writer expected (the fence): the previous record's seq, 0 for the first. */
  prev: number;
  /** Who wrote it: "<nodeId>/<lease revision>". */
  owner: string;
  items: Uint8Array[];
}

export function encodeItems(items: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const it of items) size += 4 + it.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const it of items) {
    view.setUint32(at, it.length);
    out.set(it, at + 4);
    at += 4 + it.length;
  }
  return out;
}

export function decodeItems(data: Uint8Array): Uint8Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const items: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + 4 > data.length) throw new Error(`record framing broken at byte ${at} of ${data.length}`);
    const len = view.getUint32(at);
    if (at + 4 + len > data.length) throw new Error(`record item of ${len} bytes overruns the record at byte ${at}`);
    items.push(data.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return items;
}

/** Bytes an item adds to a record. */
export const framedSize = (item: Uint8Array): number => 4 + item.length;
