import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { recordedShards, shardDir } from '../../src/data-dir.js';
import { WtError } from '../../src/errors.js';
import { openStorage, type ShardStorage } from '../../src/shard/storage.js';
import { ShardSet } from '../../src/transport/shard-set.js';

/** Bad command line: exit 2 with the usage. */
export class UsageError extends WtError {
  constructor(message: string) {
    super('usage', message, 2);
  }
}

/** A failure the operator can act on: one line, and this exit code. */
export class CommandError extends WtError {
  constructor(message: string, exitCode = 1) {
    super('command_failed', message, exitCode);
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
  const shards = recordedShards(dataDir);
  if (shards === null) throw new CommandError(`${dataDir} has no layout.json: not a DATA_DIR of this service (use --data-dir or DATA_DIR)`);
  if (shards < 1) throw new CommandError(`${resolve(dataDir, 'layout.json')} says shards=${shards}: an interrupted reshard? See README, Operations`);
  return shards;
}

/** The service's configuration (environment) for this DATA_DIR and its recorded shard count. */
export function configFor(dataDir: string, shards: number): Config {
  return loadConfig({ ...process.env, DATA_DIR: dataDir, SHARDS: String(shards) });
}

/** A shard's LMDB environment opened read-only: safe beside the running shard (LMDB readers do not block it). */
export function openReadOnly(config: Config, shard: number): ShardStorage {
  const path = shardDir(config.dataDir, shard);
  if (!existsSync(path)) throw new CommandError(`${path} does not exist`);
  return openStorage(config, shard, true);
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

/** Clients for every running shard, straight over their sockets (the front is not needed); generous limits for tools. */
export function connectShards(config: Config): ShardSet {
  return new ShardSet({ ...config, ackTimeoutMs: 30_000, maxInflightEvents: 1_000_000 });
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
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
