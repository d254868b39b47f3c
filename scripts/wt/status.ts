import { socketPath } from '../../src/data-dir.js';
import { ago, configFor, layoutShards, resolveDataDir, connectShards, table, type CommonOptions } from './common.js';

/** `wt status`: asks every running shard over its socket. Exit 1 if a shard does not answer. */
export async function status(opts: CommonOptions & { timeoutMs: number }): Promise<number> {
  const dataDir = resolveDataDir(opts.dataDir);
  const config = configFor(dataDir, layoutShards(dataDir));
  const shards = connectShards(config);
  try {
    await shards.waitReady(opts.timeoutMs);
    const results = await Promise.allSettled(shards.clients.map((c) => shards.query(c.shard, { op: 'metrics' })));
    const rows = results.map((r, k) => ({
      shard: k,
      up: r.status === 'fulfilled',
      socket: socketPath(dataDir, k),
      metrics: r.status === 'fulfilled' ? r.value : null,
    }));
    if (opts.json) {
      console.log(JSON.stringify({ dataDir, shards: config.shards, status: rows }));
    } else {
      const now = Date.now();
      const lines = [['shard', 'state', 'pid', 'log seq', 'snapshot seq', 'snapshot', 'users', 'pairs', 'movies', 'uncommitted', 'rss']];
      for (const { shard, metrics: s } of rows) {
        if (!s) lines.push([String(shard), 'DOWN', ...Array<string>(9).fill('-')]);
        else {
          lines.push([
            String(shard),
            'up',
            String(s.pid),
            String(s.logSeq),
            String(s.snapshotSeq),
            ago(s.snapshotAt, now),
            String(s.users),
            String(s.pairs),
            String(s.movies),
            String(s.uncommittedFrames),
            `${Math.round(s.rssBytes / 1048576)} MiB`,
          ]);
        }
      }
      console.log(`DATA_DIR ${dataDir}, ${config.shards} shards`);
      console.log(table(lines));
    }
    const down = rows.filter((r) => !r.up).map((r) => r.shard);
    if (down.length > 0) console.error(`wt: shard${down.length > 1 ? 's' : ''} ${down.join(', ')} did not answer within ${opts.timeoutMs} ms (not running?)`);
    return down.length > 0 ? 1 : 0;
  } finally {
    shards.close();
  }
}
