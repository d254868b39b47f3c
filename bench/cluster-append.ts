/**
 * Throughput of the cluster log's appender on a real 3-server NATS cluster on loopback (R3, file
 * storage), from one Node process: items of ITEM_BYTES (a 100-event batch is ~2.9 KB) appended
 * through one Appender per partition, CALLERS concurrent callers per partition, for RUN_SECONDS.
 * With --kill, the leader of log stream 0 is killed with SIGKILL at half time, and the report
 * adds the longest stall of its partitions (time without an acknowledgement).
 *
 * With --shape, the items are those the service appends under one of the cluster bench's loads
 * (real log items: a packed event batch per partition touched), and CALLERS follows from the
 * requests in flight: the engine alone, with the whole machine, under the service's load.
 *   single: one event per request, `--in-flight` requests spread over the partitions.
 *   batch:  100-event requests; each splits into one item per partition it touches.
 *
 *   npm run build && node dist/bench/cluster-append.js [--kill] [--shape single|batch --in-flight N]
 *   env: PARTITIONS [64] CALLERS [4] ITEM_BYTES [2900] RUN_SECONDS [10] EVENTS_PER_ITEM [100]
 *
 * Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { Appender } from '../src/cluster/appender.js';
import { Engine } from '../src/cluster/engine.js';
import { streamIndexOf } from '../src/cluster/names.js';
import { eventBatch, packr } from '../src/protocol/index.js';
import { NatsCluster } from '../test/helpers/nats-cluster.js';
import { cpuSeconds } from './proc.js';

const { values } = parseArgs({ options: { kill: { type: 'boolean' }, shape: { type: 'string' }, 'in-flight': { type: 'string' } } });
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PARTITIONS = env('PARTITIONS', 64);
const SECONDS = Math.min(env('RUN_SECONDS', 10), 60);
const kill = values.kill === true;
const shape = values.shape === undefined ? null : loadShape(values.shape, Number(values['in-flight'] ?? 64));
const CALLERS = shape?.callers ?? env('CALLERS', 4);
const ITEM_BYTES = shape?.itemBytes ?? env('ITEM_BYTES', 2900);
const EVENTS_PER_ITEM = shape?.eventsPerItem ?? env('EVENTS_PER_ITEM', 100);

/**
 * Items and callers per partition for `inFlight` requests of a cluster bench load: a request of
 * n events over P partitions touches P·(1 − (1 − 1/P)^n) of them on average, each with one item.
 */
function loadShape(name: string, inFlight: number): { callers: number; itemBytes: number; eventsPerItem: number } {
  const events = name === 'batch' ? 100 : name === 'single' ? 1 : NaN;
  if (Number.isNaN(events)) throw new Error(`--shape must be single or batch, got ${name}`);
  const touched = PARTITIONS * (1 - (1 - 1 / PARTITIONS) ** events);
  const eventsPerItem = events / touched;
  const n = Math.max(1, Math.round(eventsPerItem));
  const batch = eventBatch(
    Date.now(),
    null,
    Array.from({ length: n }, (_, i) => ({ user: `u${10_000 + i}`, slug: `movie-${100 + i}`, at: 4500 + i })),
  );
  return {
    callers: Math.max(1, Math.round((inFlight * touched) / PARTITIONS)),
    itemBytes: packr.pack([batch]).length,
    eventsPerItem,
  };
}

const nats = await NatsCluster.start();
try {
  const engine = await Engine.connect({ natsUrls: nats.urls, cluster: 'bench', nodeId: 'bench', partitions: PARTITIONS, replicas: 3 });
  const appenders = await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, p) => {
      const log = engine.partitionLog(p);
      return new Appender(log, { expected: await log.lastSeq(), owner: 'bench/1' });
    }),
  );
  let items = 0;
  let records = 0;
  let failures = 0;
  const lastAck = new Float64Array(PARTITIONS);
  const stall = new Float64Array(PARTITIONS);
  const seqs = appenders.map(() => new Set<number>());
  const item = new Uint8Array(ITEM_BYTES).map((_, i) => i % 251);
  const cpu0 = [0, 1, 2].map((i) => cpuSeconds(nats.pid(i)!));
  const self0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let killedAt = 0;
  lastAck.fill(start);
  const callers = appenders.flatMap((app, p) =>
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end && !app.failed) {
        try {
          const seq = await app.append(item);
          const now = performance.now();
          stall[p] = Math.max(stall[p]!, now - lastAck[p]!);
          lastAck[p] = now;
          items++;
          if (!seqs[p]!.has(seq)) {
            seqs[p]!.add(seq);
            records++;
          }
        } catch {
          failures++;
        }
      }
    }),
  );
  if (kill) {
    setTimeout(
      () => {
        void (async () => {
          const leader = (await engine.jsm.streams.info(engine.partitionLog(0).stream)).cluster!.leader!;
          killedAt = performance.now();
          await nats.kill(nats.indexOf(leader));
          console.log(`killed ${leader} (leader of log stream 0) at ${((killedAt - start) / 1000).toFixed(1)} s`);
        })();
      },
      (SECONDS * 1000) / 2,
    );
  }
  await Promise.all(callers);
  const secs = (performance.now() - start) / 1000;
  const self = process.cpuUsage(self0);
  const cpu = [0, 1, 2].map((i, k) => (nats.isRunning(i) ? cpuSeconds(nats.pid(i)!) - cpu0[k]! : NaN));
  console.log(
    JSON.stringify({
      partitions: PARTITIONS,
      streams: engine.names.streams,
      callersPerPartition: CALLERS,
      itemBytes: ITEM_BYTES,
      seconds: Number(secs.toFixed(1)),
      appendsPerSec: Math.round(items / secs),
      eventsPerSec: Math.round((items * EVENTS_PER_ITEM) / secs),
      eventsPerItem: Number(EVENTS_PER_ITEM.toFixed(2)),
      recordsPerSec: Math.round(records / secs),
      itemsPerRecord: Number((items / Math.max(1, records)).toFixed(1)),
      failures,
      clientCpuPct: Math.round(((self.user + self.system) / 1e6 / secs) * 100),
      serverCpuPct: cpu.map((c) => Math.round((c / secs) * 100)),
      ...(shape ? { shape: values.shape, inFlight: Number(values['in-flight'] ?? 64) } : {}),
      ...(kill
        ? {
            killedStream0Partitions: appenders.map((_, p) => p).filter((p) => streamIndexOf(engine.names, p) === 0).length,
            longestStallMs: Math.round(Math.max(...stall.filter((_, p) => streamIndexOf(engine.names, p) === 0))),
            longestStallOtherStreamsMs: Math.round(Math.max(...stall.filter((_, p) => streamIndexOf(engine.names, p) !== 0))),
          }
        : {}),
    }),
  );
  await engine.close();
} finally {
  await nats.dispose();
}
