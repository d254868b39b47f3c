import { configFor, layoutShards, resolveDataDir, connectShards, sleep, CommandError, type CommonOptions } from './common.js';

/**
 * `wt snapshot`: every running shard takes a snapshot now. The shard starts it and answers at
 * once; this waits until its status shows a snapshot taken at or after the request.
 */
export async function snapshot(opts: CommonOptions & { timeoutMs: number }): Promise<number> {
  const dataDir = resolveDataDir(opts.dataDir);
  const config = configFor(dataDir, layoutShards(dataDir));
  const shards = connectShards(config);
  try {
    const down = await shards.waitReady(Math.min(opts.timeoutMs, 5000));
    if (down.length > 0) throw new CommandError(`shards ${down.join(', ')} are not running (no answer on their sockets); nothing was snapshotted`);
    const until = Date.now() + opts.timeoutMs;
    const results = await Promise.all(
      shards.clients.map(async ({ shard }) => {
        const started = Date.now();
        let { requestedAt } = await shards.query(shard, { op: 'snapshot' });
        let asked = Date.now();
        for (;;) {
          const s = await shards.query(shard, { op: 'status' });
          if (s.snapshotAt !== null && s.snapshotAt >= requestedAt) return { shard, seq: s.snapshotSeq, takenAt: s.snapshotAt, ms: Date.now() - started };
          if (Date.now() > until) throw new CommandError(`shard ${shard} did not finish its snapshot within ${opts.timeoutMs} ms (see its log)`);
          // A snapshot that was already running when asked covers less: ask again once it is over.
          if (Date.now() - asked > 2000) {
            ({ requestedAt } = await shards.query(shard, { op: 'snapshot' }));
            asked = Date.now();
          }
          await sleep(25);
        }
      }),
    );
    if (opts.json) console.log(JSON.stringify({ dataDir, snapshots: results }));
    else for (const r of results) console.log(`shard ${r.shard}: snapshot at log seq ${r.seq} (${r.ms} ms)`);
    return 0;
  } finally {
    shards.close();
  }
}
