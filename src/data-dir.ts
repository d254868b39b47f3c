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

/**
 * Records the shard count on first start and refuses any other count later: users are placed
 * by hash mod SHARDS, so a different count would answer from the wrong shard.
 */
export function ensureLayout(dataDir: string, shards: number): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'layout.json');
  let layout: Layout;
  try {
    writeFileSync(file, JSON.stringify({ shards } satisfies Layout) + '\n', { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    layout = JSON.parse(readFileSync(file, 'utf8')) as Layout;
  }
  if (layout.shards !== shards) {
    throw new LayoutError(
      `SHARDS=${shards} but DATA_DIR ${dataDir} holds data written with SHARDS=${layout.shards}; ` +
        `start with SHARDS=${layout.shards} or use an empty DATA_DIR`,
    );
  }
}
