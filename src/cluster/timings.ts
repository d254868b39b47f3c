/**
 * Lease and membership timings (see docs/cluster-design.md). The bucket TTLs are fixed when the
 * cluster is created; a host with other timings refuses to start rather than mix them.
 *
 * Failover budget (CONTRACT §6.2: 15 s): a dead host's leases expire ttlMs after its last renewal,
 * survivors notice within one poll (renewEveryMs), then take over (snapshot + replay).
 * A holder appends only until (send time of its last successful renewal) + ttlMs - marginMs by its
 * own monotonic clock, so it stops before the server can expire the lease, with marginMs to spare
 * for clock rate differences and a pause between its check and its publish (the fence covers the rest).
 */
export interface Timings {
  leaseTtlMs: number;
  renewEveryMs: number;
  marginMs: number;
  memberTtlMs: number;
  heartbeatEveryMs: number;
}

export const DEFAULT_TIMINGS: Timings = {
  leaseTtlMs: 8000,
  renewEveryMs: 1500,
  marginMs: 2500,
  memberTtlMs: 8000,
  heartbeatEveryMs: 1500,
};
