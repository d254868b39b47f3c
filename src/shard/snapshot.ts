import { crc32 } from 'node:zlib';
import { WtError } from '../errors.js';
import { packr } from '../protocol/index.js';
import type { InsightsSnapshot } from './insights/insights.js';
import type { SeriesSnapshot } from './insights/series.js';
import type { StateSnapshot } from './state.js';

/**
 * A snapshot on disk:  "WTS1" | u32 BE crc32 of the rest | msgpack body.
 * Typed-array columns travel as raw bytes, so encoding 1M pairs is a few memcpys.
 *
 * Body versions: v1 (before insights) and v2, which adds the pair columns pair.ts and
 * pair.lateEvents (§5.1), the `insights` fields (bucket width, catalogue, series positions) and
 * the ins.* columns (retention coverage and counts, series tables). v1 snapshots still load: their
 * pairs get no client time and no late events, and insights start empty.
 */
const MAGIC = Buffer.from('WTS1');
const VERSION = 2;

export interface SnapshotRecord {
  /** Last log sequence the snapshot includes. */
  seq: number;
  takenAt: number;
  state: StateSnapshot;
}

type Column = Float64Array | Uint32Array | Int32Array;
type Columns = Record<string, Column>;

const bytesOf = (a: Column): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
// A fresh copy: msgpack gives byte views at any alignment, typed arrays need their own.
const copyOf = (b: Uint8Array): ArrayBuffer => Uint8Array.prototype.slice.call(b).buffer;

/** The scalar (non-column) insights fields. */
interface InsightsFields {
  bucketSeconds: number;
  catalogue: (string | number | null)[];
  minutes: { newest: number; droppedAt: number };
  hours: { newest: number; droppedAt: number };
}

const seriesColumns = (prefix: string, s: SeriesSnapshot): Columns => ({
  [`${prefix}.heads`]: s.heads,
  [`${prefix}.bucket`]: s.bucket,
  [`${prefix}.watch`]: s.watch,
  [`${prefix}.events`]: s.events,
  [`${prefix}.prev`]: s.prev,
  [`${prefix}.last`]: s.last,
});

function insightsColumns(i: InsightsSnapshot): Columns {
  return {
    'ins.cov.first': i.coverage.first,
    'ins.cov.pooled': i.coverage.pooled,
    'ins.ret.lengths': i.retention.lengths,
    'ins.ret.counts': i.retention.counts,
    ...seriesColumns('ins.min', i.minutes),
    ...seriesColumns('ins.hour', i.hours),
  };
}

export function encodeSnapshot(record: SnapshotRecord): Buffer {
  const s = record.state;
  const columns: Columns = {
    userWatch: s.userWatch,
    userMovies: s.userMovies,
    userHead: s.userHead,
    movieWatch: s.movieWatch,
    movieViewers: s.movieViewers,
    ...Object.fromEntries(Object.entries(s.pairs).map(([k, v]) => [`pair.${k}`, v])),
    ...(s.insights ? insightsColumns(s.insights) : {}),
  };
  const insights: InsightsFields | undefined = s.insights && {
    bucketSeconds: s.insights.bucketSeconds,
    catalogue: s.insights.catalogue,
    minutes: { newest: s.insights.minutes.newest, droppedAt: s.insights.minutes.droppedAt },
    hours: { newest: s.insights.hours.newest, droppedAt: s.insights.hours.droppedAt },
  };
  const meta: Record<string, unknown> = {
    v: VERSION,
    seq: record.seq,
    takenAt: record.takenAt,
    users: s.users,
    slugs: s.slugs,
    recent: s.recent,
    ...(insights ? { insights } : {}),
  };
  return frameBody(meta, Object.entries(columns));
}

/**
 * "WTS1" | crc32 | the msgpack map `{...meta, columns: {name: bin32}}`, written into one buffer
 * of the final size and read by the same decoder as packr.pack's output, without packr's growing
 * buffer and the copies after it (at 1M pairs those stalled the shard's loop for ~0.6 s per
 * snapshot, mostly page faults of buffers allocated, filled and dropped).
 */
function frameBody(meta: Record<string, unknown>, columns: [string, Column][]): Buffer {
  const metaBytes = packr.pack(meta);
  // msgpackr writes an object as a map16 (0xde, u16 count); the columns entry makes one more.
  if (metaBytes[0] !== 0xde) throw new Error('snapshot meta: msgpackr did not write a map16');
  const entries = metaBytes.readUInt16BE(1) + 1;
  const columnsKey = packr.pack('columns');
  const names = columns.map(([name]) => packr.pack(name));
  let size = 8 + metaBytes.length + columnsKey.length + 3; // header, meta, "columns", map16 head
  columns.forEach(([, c], i) => (size += names[i]!.length + 5 + c.byteLength)); // bin32 head: 5 bytes
  const out = Buffer.allocUnsafe(size);
  let at = 8;
  out[at++] = 0xde;
  at = out.writeUInt16BE(entries, at);
  at += metaBytes.copy(out, at, 3);
  at += columnsKey.copy(out, at);
  out[at++] = 0xde;
  at = out.writeUInt16BE(columns.length, at);
  columns.forEach(([, c], i) => {
    at += names[i]!.copy(out, at);
    out[at++] = 0xc6;
    at = out.writeUInt32BE(c.byteLength, at);
    out.set(bytesOf(c), at);
    at += c.byteLength;
  });
  MAGIC.copy(out, 0);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

export class SnapshotCorrupt extends WtError {
  constructor(message: string) {
    super('snapshot_corrupt', message);
  }
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
    insights?: InsightsFields;
    columns: Record<string, Uint8Array>;
  };
  if (raw.v !== 1 && raw.v !== 2) throw new SnapshotCorrupt(`unknown snapshot version ${raw.v}`);
  const col = (name: string): ArrayBuffer => {
    const bytes = raw.columns[name];
    if (!bytes) throw new SnapshotCorrupt(`missing column ${name}`);
    return copyOf(bytes);
  };
  const pairCount = col('pair.user').byteLength / 4;
  const v2 = raw.v === 2;
  const series = (prefix: string, at: { newest: number; droppedAt: number }): SeriesSnapshot => ({
    heads: new Float64Array(col(`${prefix}.heads`)),
    bucket: new Uint32Array(col(`${prefix}.bucket`)),
    watch: new Float64Array(col(`${prefix}.watch`)),
    events: new Uint32Array(col(`${prefix}.events`)),
    prev: new Int32Array(col(`${prefix}.prev`)),
    last: new Int32Array(col(`${prefix}.last`)),
    newest: at.newest,
    droppedAt: at.droppedAt,
  });
  const ins = raw.insights;
  const insights: InsightsSnapshot | undefined = ins && {
    bucketSeconds: ins.bucketSeconds,
    catalogue: ins.catalogue,
    coverage: {
      first: new Uint32Array(col('ins.cov.first')),
      pooled: new Uint32Array(col('ins.cov.pooled')),
    },
    retention: { lengths: new Uint32Array(col('ins.ret.lengths')), counts: new Uint32Array(col('ins.ret.counts')) },
    minutes: series('ins.min', ins.minutes),
    hours: series('ins.hour', ins.hours),
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
        // v1 (before §5.1): no client time, no late events.
        ts: v2 ? new Float64Array(col('pair.ts')) : new Float64Array(pairCount).fill(NaN),
        lateEvents: v2 ? new Uint32Array(col('pair.lateEvents')) : new Uint32Array(pairCount),
        user: new Uint32Array(col('pair.user')),
        slug: new Uint32Array(col('pair.slug')),
        next: new Int32Array(col('pair.next')),
      },
      ...(insights ? { insights } : {}),
    },
  };
}
