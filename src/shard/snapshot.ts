import { crc32 } from 'node:zlib';
import { packr } from '../transport/messages.js';
import type { StateSnapshot } from './state.js';

/**
 * A snapshot on disk:  "WTS1" | u32 BE crc32 of the rest | msgpack body.
 * Typed-array columns travel as raw bytes, so encoding 1M pairs is a few memcpys.
 */
const MAGIC = Buffer.from('WTS1');

export interface SnapshotRecord {
  /** Last log sequence the snapshot includes. */
  seq: number;
  takenAt: number;
  state: StateSnapshot;
}

type Columns = Record<string, Float64Array | Uint32Array | Int32Array>;

const bytesOf = (a: Float64Array | Uint32Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
// A fresh copy: msgpack gives byte views at any alignment, typed arrays need their own.
const copyOf = (b: Uint8Array): ArrayBuffer => Uint8Array.prototype.slice.call(b).buffer as ArrayBuffer;

export function encodeSnapshot(record: SnapshotRecord): Buffer {
  const s = record.state;
  const columns: Columns = {
    userWatch: s.userWatch,
    userMovies: s.userMovies,
    userHead: s.userHead,
    movieWatch: s.movieWatch,
    movieViewers: s.movieViewers,
    ...Object.fromEntries(Object.entries(s.pairs).map(([k, v]) => [`pair.${k}`, v])),
  };
  const body = packr.pack({
    v: 1,
    seq: record.seq,
    takenAt: record.takenAt,
    users: s.users,
    slugs: s.slugs,
    recent: s.recent,
    columns: Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, bytesOf(v)])),
  });
  const head = Buffer.allocUnsafe(8);
  MAGIC.copy(head, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

export class SnapshotCorrupt extends Error {
  override name = 'SnapshotCorrupt';
}

export function decodeSnapshot(buf: Buffer): SnapshotRecord {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) throw new SnapshotCorrupt('bad magic');
  const body = buf.subarray(8);
  if (crc32(body) !== buf.readUInt32BE(4)) throw new SnapshotCorrupt('checksum mismatch');
  const raw = packr.unpack(body) as {
    v: number;
    seq: number;
    takenAt: number;
    users: string[];
    slugs: string[];
    recent: (string | number)[];
    columns: Record<string, Uint8Array>;
  };
  if (raw.v !== 1) throw new SnapshotCorrupt(`unknown snapshot version ${raw.v}`);
  const col = (name: string): ArrayBuffer => {
    const bytes = raw.columns[name];
    if (!bytes) throw new SnapshotCorrupt(`missing column ${name}`);
    return copyOf(bytes);
  };
  return {
    seq: raw.seq,
    takenAt: raw.takenAt,
    state: {
      users: raw.users,
      slugs: raw.slugs,
      recent: raw.recent ?? [],
      userWatch: new Float64Array(col('userWatch')),
      userMovies: new Uint32Array(col('userMovies')),
      userHead: new Int32Array(col('userHead')),
      movieWatch: new Float64Array(col('movieWatch')),
      movieViewers: new Uint32Array(col('movieViewers')),
      pairs: {
        watchTime: new Float64Array(col('pair.watchTime')),
        at: new Float64Array(col('pair.at')),
        furthest: new Float64Array(col('pair.furthest')),
        updatedAt: new Float64Array(col('pair.updatedAt')),
        events: new Uint32Array(col('pair.events')),
        // Absent from v1 snapshots (before §5.1): no client time, no late events.
        ts: raw.columns['pair.ts'] ? new Float64Array(col('pair.ts')) : new Float64Array(col('pair.user').byteLength / 4).fill(NaN),
        lateEvents: raw.columns['pair.lateEvents'] ? new Uint32Array(col('pair.lateEvents')) : new Uint32Array(col('pair.user').byteLength / 4),
        user: new Uint32Array(col('pair.user')),
        slug: new Uint32Array(col('pair.slug')),
        next: new Int32Array(col('pair.next')),
      },
    },
  };
}
