import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { open } from 'lmdb';
import { loadConfig, type Config } from '../../src/config.js';
import { shardDir, socketPath } from '../../src/data-dir.js';
import type { ShardStorage } from '../../src/shard/storage.js';
import { ShardClient } from '../../src/transport/client.js';
import { Kind, packr, type Query, type QueryResults } from '../../src/protocol/index.js';

/** Bad command line: exit 2 with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the operator can act on: one line, and this exit code. */
export class WtError extends Error {
  override name = 'WtError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface CommonOptions {
  dataDir: string | undefined;
  json: boolean;
}

export function resolveDataDir(dataDir: string | undefined): string {
  return resolve(dataDir ?? process.env.DATA_DIR ?? './data');
}

/** The shard count DATA_DIR was written with (layout.json). */
export function layoutShards(dataDir: string): number {
  const file = resolve(dataDir, 'layout.json');
  if (!existsSync(file)) throw new WtError(`${dataDir} has no layout.json: not a DATA_DIR of this service (use --data-dir or DATA_DIR)`);
  const layout = JSON.parse(readFileSync(file, 'utf8')) as { shards?: unknown };
  if (typeof layout.shards !== 'number' || !Number.isInteger(layout.shards) || layout.shards < 1) {
    throw new WtError(`${file} says shards=${JSON.stringify(layout.shards)}: an interrupted reshard? See README, Operations`);
  }
  return layout.shards;
}

/** The service's configuration (environment) for this DATA_DIR and its recorded shard count. */
export function configFor(dataDir: string, shards: number): Config {
  return loadConfig({ ...process.env, DATA_DIR: dataDir, SHARDS: String(shards) });
}

/** A shard's LMDB environment opened read-only: safe beside the running shard (LMDB readers do not block it). */
export function openReadOnly(config: Config, shard: number): ShardStorage {
  const path = shardDir(config.dataDir, shard);
  if (!existsSync(path)) throw new WtError(`${path} does not exist`);
  const env = open({ path, readOnly: true, maxDbs: 4, mapSize: config.lmdbMapBytes });
  return {
    env,
    log: env.openDB<Buffer, number>({ name: 'log', encoding: 'binary' }),
    snapshots: env.openDB<Buffer, number>({ name: 'snapshots', encoding: 'binary' }),
  };
}

/** Whether something accepts connections on the shard's socket (a running shard does). */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      done(true); // no answer either way: assume something holds it
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      done(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      done(false);
    });
  });
}

/** Clients for every running shard, straight over their sockets (the front is not needed). */
export class Shards {
  readonly clients: ShardClient[];

  constructor(readonly config: Config) {
    const options = { shards: config.shards, ackTimeoutMs: 30_000, maxInflightEvents: 1_000_000 };
    this.clients = Array.from({ length: config.shards }, (_, k) => new ShardClient(k, socketPath(config.dataDir, k), options));
  }

  /** Waits until every shard has said hello, or the timeout; returns the shards that did not. */
  async connect(timeoutMs: number): Promise<number[]> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && this.clients.some((c) => !c.ready)) await sleep(20);
    return this.clients.filter((c) => !c.ready).map((c) => c.shard);
  }

  async query<Q extends Query>(shard: number, q: Q): Promise<QueryResults[Q['op']]> {
    const body = await this.clients[shard]!.request(Kind.Query, packr.pack(q), 1);
    return packr.unpack(body) as QueryResults[Q['op']];
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never';
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 120) return `${s.toFixed(1)} s ago`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

/** Left-aligned text columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
