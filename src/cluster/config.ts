import { hostname } from 'node:os';
import { ConfigError } from '../config.js';

/** Cluster mode's variables (CONTRACT §6.1), parsed once. Absent NATS_URL means embedded mode. */
export interface ClusterConfig {
  /** NATS server URLs, in the order given. */
  natsUrls: string[];
  /** Names this cluster's streams, buckets and subjects, so two clusters can share one NATS. */
  cluster: string;
  /** This host's unique name in the cluster. */
  nodeId: string;
  /** Fixed when the cluster is first created; recorded in the engine. */
  partitions: number;
  /** Replication factor of the log and of the buckets. */
  replicas: number;
}

type Env = Record<string, string | undefined>;

/** Stream names and subject tokens allow no '.', '*', '>' or spaces: keep names to this. */
const NAME = /^[A-Za-z0-9_-]+$/;
export const MAX_PARTITIONS = 4096;
/**
 * The contract's default (CONTRACT §6.1). A 100-event request spreads over up to
 * min(100, PARTITIONS) partition appends, each an R3 publish, so fewer partitions cost less per
 * event (measured here with two hosts: 16 → 56k events/s, 32 → 48k, 64 → 27k); more balance finer
 * over many members. An operator who wants fewer sets PARTITIONS when creating the cluster.
 */
export const DEFAULT_PARTITIONS = 64;
export const MAX_REPLICAS = 5;

function parseUrls(raw: string): string[] {
  const urls = raw.split(',').map((u) => u.trim());
  for (const u of urls) {
    let url: URL | undefined;
    try {
      url = new URL(u);
    } catch {
      /* reported below */
    }
    if (!url || !['nats:', 'tls:'].includes(url.protocol) || url.hostname === '' || url.pathname.replace('/', '') !== '') {
      throw new ConfigError(`NATS_URL must be comma-separated nats://host:port URLs, got ${JSON.stringify(u)} in ${JSON.stringify(raw)}`);
    }
  }
  return urls;
}

function name(env: Env, variable: string, fallback: string, max: number): string {
  const raw = env[variable];
  const value = raw === undefined || raw === '' ? fallback : raw;
  if (!NAME.test(value) || value.length > max) {
    throw new ConfigError(`${variable} must be 1-${max} letters, digits, '-' or '_', got ${JSON.stringify(value)}`);
  }
  return value;
}

function count(env: Env, variable: string, fallback: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ConfigError(`${variable} must be a whole number between 1 and ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** hostname-PORT with the characters a name may not hold replaced, e.g. "web.local" -> "web_local-8000". */
export function defaultNodeId(host: string, port: string | undefined): string {
  return `${host.replace(/[^A-Za-z0-9_-]/g, '_')}-${port || '8000'}`.slice(0, 64);
}

/** undefined when NATS_URL is unset or empty (embedded mode); throws ConfigError naming the variable. */
export function loadClusterConfig(env: Env = process.env, host: string = hostname()): ClusterConfig | undefined {
  const raw = env.NATS_URL;
  if (raw === undefined || raw.trim() === '') return undefined;
  return {
    natsUrls: parseUrls(raw),
    cluster: name(env, 'CLUSTER', 'watch-time', 32),
    nodeId: name(env, 'NODE_ID', defaultNodeId(host, env.PORT), 64),
    partitions: count(env, 'PARTITIONS', DEFAULT_PARTITIONS, MAX_PARTITIONS),
    replicas: count(env, 'REPLICAS', 3, MAX_REPLICAS),
  };
}
