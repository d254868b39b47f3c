import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EX_CONFIG, WtError } from './errors.js';

/** What DATA_DIR looks like:  layout.json  shard-0/ (LMDB env)  shard-0.sock  shard-1/ ... */
export function shardDir(dataDir: string, shard: number): string {
  return join(dataDir, `shard-${shard}`);
}

/** Unix socket of a shard; beside its data unless that path is too long for a socket (108 bytes). */
export function socketPath(dataDir: string, shard: number): string {
  const beside = join(dataDir, `shard-${shard}.sock`);
  if (Buffer.byteLength(beside) < 100) return beside;
  const tag = createHash('sha1').update(dataDir).digest('hex').slice(0, 12);
  return join(tmpdir(), `wt-${tag}-${shard}.sock`);
}

/** DATA_DIR was written with another shard count. */
export class LayoutError extends WtError {
  constructor(message: string) {
    super('layout_mismatch', message, EX_CONFIG);
  }
}

interface Layout {
  shards: number;
}

const layoutFile = (dataDir: string): string => join(dataDir, 'layout.json');

/**
 * The shard count DATA_DIR records (layout.json); null before the first start. 0 means a reshard
 * was interrupted while it moved the shards' directories.
 */
export function recordedShards(dataDir: string): number | null {
  const file = layoutFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const layout = JSON.parse(text) as { shards?: unknown };
  if (typeof layout.shards !== 'number' || !Number.isInteger(layout.shards) || layout.shards < 0) {
    throw new LayoutError(`${file} says shards=${JSON.stringify(layout.shards)}, not a shard count: was it edited by hand? See README, Operations`);
  }
  return layout.shards;
}

/**
 * Records the shard count on first start and refuses any other count later: users are placed
 * by hash mod SHARDS, so a different count would answer from the wrong shard.
 */
export function ensureLayout(dataDir: string, shards: number): void {
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(layoutFile(dataDir), JSON.stringify({ shards } satisfies Layout) + '\n', { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const recorded = recordedShards(dataDir);
  if (recorded !== shards) {
    throw new LayoutError(
      `SHARDS=${shards} but DATA_DIR ${dataDir} holds data written with SHARDS=${recorded}; ` + `start with SHARDS=${recorded} or use an empty DATA_DIR`,
    );
  }
}
