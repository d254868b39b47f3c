import { loadClusterConfig } from '../../src/cluster/config.js';
import { connectEngine } from '../../src/cluster/connect.js';
import { clusterStatus } from '../../src/cluster/status.js';
import { table, UsageError } from './common.js';

/**
 * `wt cluster status`: what GET /cluster shows (the same function), read from NATS directly with
 * the service's variables (NATS_URL, CLUSTER, PARTITIONS, REPLICAS), so it works with no host up.
 * Exit 1 when a partition has no owner serving it.
 */
export async function clusterCommand(sub: string | undefined, opts: { json: boolean }): Promise<number> {
  if (sub !== 'status') throw new UsageError(`cluster needs a subcommand: status${sub ? ` (got ${JSON.stringify(sub)})` : ''}`);
  const cluster = loadClusterConfig();
  if (!cluster) throw new UsageError('cluster status needs NATS_URL (and CLUSTER, PARTITIONS as the hosts have them)');
  const engine = await connectEngine({ ...cluster, nodeId: `${cluster.nodeId}-wt` }, { spreadLeaders: false });
  try {
    const s = await clusterStatus(engine);
    const unserved = s.partitions.filter((p) => !p.serving).map((p) => p.partition);
    if (opts.json) {
      console.log(JSON.stringify(s));
      return unserved.length > 0 ? 1 : 0;
    }
    console.log(
      `cluster "${s.cluster}": ${s.partitionCount} partitions, ${s.partitionCount - unserved.length} served, ${s.hosts.length} hosts; ` +
        `engine: connected to ${s.engine.connectedTo}, ${s.engine.servers.length} servers, replicas ${s.engine.replicas}`,
    );
    console.log('');
    console.log(
      table([
        ['host', 'address', 'since', 'members', 'partitions'],
        ...s.hosts.map((h) => [h.id, h.address, h.since, String(h.members.length), String(h.partitions)]),
      ]),
    );
    console.log('');
    console.log(
      table([
        ['partition', 'owner', 'serving', 'log seq', 'snapshot seq'],
        ...s.partitions.map((p) => [String(p.partition), p.owner ?? '-', p.serving ? 'yes' : 'NO', String(p.logSeq), String(p.snapshotSeq)]),
      ]),
    );
    console.log('');
    console.log(
      table([
        ['stream', 'leader', 'replicas (current)', 'messages'],
        ...s.engine.streams.map((st) => [
          st.name,
          st.leader || 'NONE',
          st.replicas.map((r) => `${r.name}${r.current ? '' : r.offline ? ' (offline)' : ` (lag ${r.lag})`}`).join(' '),
          String(st.messages),
        ]),
      ]),
    );
    if (unserved.length > 0) console.error(`wt: partitions ${unserved.join(', ')} have no owner serving them`);
    return unserved.length > 0 ? 1 : 0;
  } finally {
    await engine.close();
  }
}
