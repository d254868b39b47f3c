import type { Config } from '../../config.js';
import type { Route } from '../../http/index.js';
import type { ClusterConfig } from '../config.js';
import { clusterStatus } from '../status.js';
import { ClusterBackend } from './backend.js';
import { clusterReadyz } from './routes.js';

/**
 * What cluster mode changes in the front process: its Backend (routing to partition owners), its
 * /readyz (replacing the embedded one) and the source of GET /cluster.
 */
export async function clusterFront(config: Config, cluster: ClusterConfig, log: (msg: string) => void) {
  const backend = await ClusterBackend.start(config, cluster, log);
  return { backend, routes: [clusterReadyz(backend)] as Route[], view: { status: () => clusterStatus(backend.engine) } };
}
