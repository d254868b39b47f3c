import { ApiError, type Route } from '../../http/index.js';
import type { ClusterBackend } from './backend.js';

/**
 * GET /readyz in cluster mode (CONTRACT §6.3): 200 when this host is connected to the engine,
 * reads ownership, reaches its own shard processes, and every partition has a live owner serving
 * it; else 503 with the partitions that have none.
 */
export function clusterReadyz(backend: ClusterBackend): Route {
  return {
    path: '/readyz',
    methods: {
      GET: (ex) => {
        const missing = backend.table.missing();
        const waiting = backend.notReady;
        const reason =
          backend.table.unreadyReason() ??
          (waiting.length > 0 ? `shard processes ${waiting.join(', ')} of this host are not connected` : undefined) ??
          (missing.length > 0
            ? `${missing.length} of ${backend.partitions} partitions have no live owner serving them (a host joined, left or failed; they move within seconds)`
            : undefined);
        if (reason !== undefined) {
          ex.error(new ApiError(503, 'unavailable', `${reason}; retry shortly`, { missingPartitions: missing }, { 'Retry-After': '1' }));
          return;
        }
        ex.json(200, { status: 'ready', partitions: backend.partitions, members: backend.table.liveMembers().length });
      },
    },
  };
}
