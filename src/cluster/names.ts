import { fnv1a32 } from '../hash.js';

/**
 * Everything in NATS this cluster owns, derived from CLUSTER so two clusters can share one NATS.
 * Partition p lives in log stream `p % streams` on subject `<cluster>.log.<stream>.<p>`.
 */
export interface Names {
  cluster: string;
  partitions: number;
  /** Number of log streams; fixed at creation with PARTITIONS (recorded in the meta bucket). */
  streams: number;
}

/**
 * Partitions are spread over several streams so their Raft leaders land on different servers: one
 * stream leader would otherwise carry every append of the cluster. Six streams are two leaders per
 * server on three servers; more raft groups would cost CPU on small machines for no gain.
 */
export const MAX_LOG_STREAMS = 6;

export function names(cluster: string, partitions: number): Names {
  return { cluster, partitions, streams: Math.min(partitions, MAX_LOG_STREAMS) };
}

/** Users go to partitions by the same FNV-1a hash that picks a shard in embedded mode. */
export function partitionOf(user: string, partitions: number): number {
  return fnv1a32(user) % partitions;
}

export function streamIndexOf(n: Names, partition: number): number {
  return partition % n.streams;
}

export function logStreamName(n: Names, index: number): string {
  return `${n.cluster}-log-${index}`;
}

export function logStreamSubjects(n: Names, index: number): string {
  return `${n.cluster}.log.${index}.*`;
}

export function partitionSubject(n: Names, partition: number): string {
  return `${n.cluster}.log.${streamIndexOf(n, partition)}.${partition}`;
}

/** KV buckets: layout (PARTITIONS etc.), partition leases, live members. Object store: snapshots. */
export const metaBucket = (n: Names): string => `${n.cluster}-meta`;
export const leaseBucket = (n: Names): string => `${n.cluster}-leases`;
export const memberBucket = (n: Names): string => `${n.cluster}-members`;
export const snapshotBucket = (n: Names): string => `${n.cluster}-snapshots`;

export const leaseKey = (partition: number): string => `p${partition}`;
export const snapshotName = (partition: number): string => `p${partition}`;

/** The request/reply subject of a member (a shard process of some host): fronts of every host send it its partitions' requests. */
export const memberSubject = (n: Names, member: string): string => `${n.cluster}.member.${member}`;

/** A member's id: the host's NODE_ID and the shard process's index there. */
export const memberId = (nodeId: string, shard: number): string => `${nodeId}-${shard}`;
