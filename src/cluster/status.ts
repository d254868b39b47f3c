import type { Engine } from './engine.js';
import { leaseBucket, logStreamName, memberBucket, metaBucket, snapshotBucket } from './names.js';

export interface HostStatus {
  /** NODE_ID */
  id: string;
  /** HOST:PORT of its front. */
  address: string;
  /** Partitions its members serve. */
  partitions: number;
  /** When its earliest member still running joined (ISO-8601). */
  since: string;
  members: { id: string; shard: number | null; subject: string; since: string; serving: number[] }[];
}

export interface PartitionStatus {
  partition: number;
  /** Lease holder (a member id), null when nobody holds it. */
  owner: string | null;
  host: string | null;
  /** Its owner has loaded it and takes requests. */
  serving: boolean;
  /** Sequence of the partition's last record in the log (0: none), and the one its newest snapshot covers. */
  logSeq: number;
  snapshotSeq: number;
}

export interface StreamStatus {
  name: string;
  leader: string;
  replicas: { name: string; current: boolean; offline: boolean; lag: number }[];
  messages: number;
}

export interface ClusterStatus {
  cluster: string;
  partitionCount: number;
  hosts: HostStatus[];
  partitions: PartitionStatus[];
  engine: {
    /** The server this process is connected to, and every server seen in the streams' groups. */
    connectedTo: string;
    servers: { name: string; leads: string[]; online: boolean }[];
    replicas: number;
    streams: StreamStatus[];
    /** Stream name → leader server, '' while it has none. */
    leaders: Record<string, string>;
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What GET /cluster and `wt cluster status` show, read fresh from the engine: members (grouped by
 * host), lease holders, each partition's last log record and snapshot, and the streams' groups.
 */
export async function clusterStatus(engine: Engine): Promise<ClusterStatus> {
  const n = engine.names;
  const all = Array.from({ length: n.partitions }, (_, p) => p);
  const [members, holders, logSeqs, snapshotSeqs] = await Promise.all([
    engine.memberRegistry().list(),
    engine.leaseManager().holders(),
    Promise.all(
      all.map((p) =>
        engine
          .partitionLog(p)
          .lastSeq(performance.now() + 3000)
          .catch(() => -1),
      ),
    ),
    Promise.all(
      all.map((p) =>
        engine
          .snapshotStore()
          .seqOf(p)
          .catch(() => -1),
      ),
    ),
  ]);
  const byId = new Map(members.map((m) => [m.id, m]));
  const streamNames = [
    ...Array.from({ length: n.streams }, (_, i) => logStreamName(n, i)),
    ...[metaBucket(n), leaseBucket(n), memberBucket(n)].map((b) => `KV_${b}`),
    `OBJ_${snapshotBucket(n)}`,
  ];
  const streams: StreamStatus[] = await Promise.all(
    streamNames.map(async (name) => {
      try {
        const info = await engine.jsm.streams.info(name);
        return {
          name,
          leader: info.cluster?.leader ?? '',
          replicas: (info.cluster?.replicas ?? []).map((r) => ({ name: r.name, current: r.current, offline: r.offline ?? false, lag: r.lag ?? 0 })),
          messages: info.state.messages,
        };
      } catch {
        return { name, leader: '', replicas: [], messages: -1 };
      }
    }),
  );

  const hosts = new Map<string, HostStatus & { sinceMs: number }>();
  for (const m of members) {
    const node = m.node ?? m.id;
    let h = hosts.get(node);
    if (!h) hosts.set(node, (h = { id: node, address: m.http ?? '', partitions: 0, since: '', sinceMs: m.since, members: [] }));
    h.sinceMs = Math.min(h.sinceMs, m.since);
    h.partitions += (m.serving ?? []).length;
    h.members.push({ id: m.id, shard: m.shard ?? null, subject: m.address, since: iso(m.since), serving: m.serving ?? [] });
  }
  const servers = new Map<string, { name: string; leads: string[]; online: boolean }>();
  for (const s of streams) {
    for (const r of s.replicas) if (!servers.has(r.name)) servers.set(r.name, { name: r.name, leads: [], online: !r.offline });
    if (s.leader) {
      const srv = servers.get(s.leader) ?? { name: s.leader, leads: [], online: true };
      srv.leads.push(s.name);
      srv.online = true;
      servers.set(s.leader, srv);
    }
  }
  return {
    cluster: n.cluster,
    partitionCount: n.partitions,
    hosts: [...hosts.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(({ sinceMs, ...h }) => ({ ...h, since: iso(sinceMs) })),
    partitions: all.map((p) => {
      const owner = holders.get(p) ?? null;
      const m = owner === null ? undefined : byId.get(owner);
      return { partition: p, owner, host: m?.node ?? null, serving: !!m && (m.serving ?? []).includes(p), logSeq: logSeqs[p]!, snapshotSeq: snapshotSeqs[p]! };
    }),
    engine: {
      connectedTo: engine.nc.info?.server_name ?? '',
      servers: [...servers.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      replicas: engine.config.replicas,
      streams,
      leaders: Object.fromEntries(streams.map((s) => [s.name, s.leader])),
    },
  };
}
