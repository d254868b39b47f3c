import { readdirSync } from 'node:fs';
import { shardDir } from '../../src/data-dir.js';
import { eventShape, isMovieRecord } from '../../src/protocol/index.js';
import { decodeRecord } from '../../src/shard/apply-batch.js';
import { decodeSnapshot } from '../../src/shard/snapshot.js';
import { configFor, layoutShards, openReadOnly, resolveDataDir, type CommonOptions } from './common.js';

interface ShardReport {
  shard: number;
  dir: string;
  logRecords: number;
  firstSeq: number | null;
  lastSeq: number | null;
  events: number;
  snapshots: { seq: number; ok: boolean; reason?: string }[];
  problems: string[];
}

/**
 * Why a batch of a decoded log record does not hold valid events, or null. decodeRecord has
 * checked the shapes (event batch with or without a ts column, movie record); this checks values.
 */
function badEvents(batch: readonly unknown[], b: number): string | null {
  if (isMovieRecord(batch)) return batch[3] >= 1 && batch[3] <= 1e6 ? null : `batch ${b}: movie duration ${batch[3]} is out of range`;
  if (batch[1] !== null && typeof batch[1] !== 'string') return `batch ${b}: idempotency key is neither a string nor null`;
  const shape = eventShape(batch);
  if (typeof shape === 'string') return `batch ${b}: ${shape}`;
  for (let e = 0, i = 2; e < shape.events; e++, i += 3) {
    const [user, slug, at, ts] = [batch[i], batch[i + 1], batch[i + 2], shape.ts?.[e] ?? null];
    const where = `batch ${b}, event ${e}`;
    if (typeof user !== 'string' || user.length === 0) return `${where}: user is not a non-empty string`;
    if (typeof slug !== 'string' || slug.length === 0) return `${where}: slug is not a non-empty string`;
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) return `${where}: at is not a finite number >= 0`;
    if (ts !== null && !(Number.isInteger(ts) && ts >= 0)) return `${where}: ts is neither null nor an integer >= 0`;
  }
  return null;
}

/** The number of events a record's batch holds (0 for a movie record). */
const eventsIn = (batch: readonly unknown[]): number => {
  const shape = isMovieRecord(batch) ? 0 : eventShape(batch);
  return typeof shape === 'object' ? shape.events : 0;
};

/** One shard environment: every log record decodes, sequences are contiguous, snapshots pass their checksum, and recovery is possible. */
function verifyShard(dataDir: string, shards: number, shard: number): ShardReport {
  const config = configFor(dataDir, shards);
  const dir = shardDir(dataDir, shard);
  const report: ShardReport = { shard, dir, logRecords: 0, firstSeq: null, lastSeq: null, events: 0, snapshots: [], problems: [] };
  let storage;
  try {
    storage = openReadOnly(config, shard);
  } catch (err) {
    report.problems.push(`${dir}: cannot open the LMDB environment (${(err as Error).message})`);
    return report;
  }
  try {
    for (const { key, value } of storage.snapshots.getRange()) {
      try {
        const s = decodeSnapshot(value);
        const { users, pairs, userWatch, movieWatch, slugs } = s.state;
        if (s.seq !== key) throw new Error(`says seq ${s.seq} but is stored under ${key}`);
        if (userWatch.length !== users.length || movieWatch.length !== slugs.length) throw new Error('column lengths disagree with the name tables');
        const n = pairs.user.length;
        for (const col of Object.values(pairs) as ArrayLike<unknown>[]) if (col.length !== n) throw new Error('pair columns of different lengths');
        report.snapshots.push({ seq: key, ok: true });
      } catch (err) {
        report.snapshots.push({ seq: key, ok: false, reason: (err as Error).message });
        report.problems.push(`${dir}: snapshot at seq ${key} is damaged (${(err as Error).message})`);
      }
    }
    let prev: number | null = null;
    for (const { key, value } of storage.log.getRange()) {
      if (prev !== null && key !== prev + 1) report.problems.push(`${dir}: log sequence jumps from ${prev} to ${key} (records missing)`);
      prev = key;
      report.firstSeq ??= key;
      report.lastSeq = key;
      report.logRecords++;
      try {
        const batches = decodeRecord(value);
        batches.forEach((batch, b) => {
          const why = badEvents(batch, b);
          if (why) throw new Error(why);
          report.events += eventsIn(batch);
        });
      } catch (err) {
        report.problems.push(`${dir}: log record seq ${key} cannot be decoded (${(err as Error).message})`);
      }
    }
    // Recovery = newest intact snapshot + the log after it: the log must start right after some intact snapshot (or at 1).
    const intact = report.snapshots.filter((s) => s.ok).map((s) => s.seq);
    const newest = intact.length > 0 ? Math.max(...intact) : null;
    const first = report.firstSeq;
    if (first !== null && first > 1 && (newest === null || newest < first - 1)) {
      report.problems.push(`${dir}: the log starts at seq ${first} but no intact snapshot covers seq ${first - 1}: records 1..${first - 1} are lost`);
    }
    if (first === null && newest === null && report.snapshots.length > 0) report.problems.push(`${dir}: no intact snapshot and no log`);
  } finally {
    void storage.env.close();
  }
  return report;
}

/** `wt verify`: exit 0 if every shard environment is sound, 1 with one line per problem otherwise. */
// eslint-disable-next-line @typescript-eslint/require-await -- async so a failure on the way is a rejection the CLI reports like any other
export async function verify(opts: CommonOptions): Promise<number> {
  const dataDir = resolveDataDir(opts.dataDir);
  const shards = layoutShards(dataDir);
  const reports = Array.from({ length: shards }, (_, k) => verifyShard(dataDir, shards, k));
  const extra = readdirSync(dataDir).filter((name) => /^shard-\d+$/.test(name) && Number(name.slice(6)) >= shards);
  const problems = reports.flatMap((r) => r.problems);
  for (const name of extra) problems.push(`${dataDir}/${name}: a shard directory beyond SHARDS=${shards} (layout.json); its data is not served`);
  if (opts.json) {
    console.log(JSON.stringify({ dataDir, shards, ok: problems.length === 0, reports, problems }));
  } else {
    for (const r of reports) {
      const log = r.logRecords === 0 ? 'empty log' : `${r.logRecords} log records (seq ${r.firstSeq}..${r.lastSeq}, ${r.events} events)`;
      const snaps = r.snapshots.length === 0 ? 'no snapshot' : `snapshots at seq ${r.snapshots.map((s) => s.seq + (s.ok ? '' : ' (DAMAGED)')).join(', ')}`;
      console.log(`${r.problems.length === 0 ? 'ok  ' : 'BAD '} shard ${r.shard} ${r.dir}: ${log}; ${snaps}`);
    }
    for (const p of problems) console.error(`wt: ${p}`);
    console.log(problems.length === 0 ? `verify: ${shards} shards OK` : `verify: ${problems.length} problem${problems.length > 1 ? 's' : ''} found`);
  }
  return problems.length === 0 ? 0 : 1;
}
