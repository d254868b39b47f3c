import { pairBody } from '../../src/api/pair-body.js';
import { recover } from '../../src/shard/recovery.js';
import { configFor, layoutShards, openReadOnly, resolveDataDir, CommandError, type CommonOptions } from './common.js';

/** CSV columns: the pair body's fields; the §5.2 ones are empty while the movie's duration is unknown. */
const FIELDS = ['user', 'slug', 'watchTime', 'at', 'furthest', 'events', 'updatedAt', 'lateEvents', 'progress', 'completed', 'resumeAt'] as const;

/** RFC 4180: quote a field holding a comma, quote or line break (and one starting with a space). */
function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * `wt export`: every pair of every shard on stdout, one per line, NDJSON or CSV (with a header).
 * Each shard's state is recovered read-only (newest snapshot + log), as the shard itself would,
 * so it works with the service stopped or running (then it is the state as of the export).
 * Order: shard by shard, pairs in the order each shard first saw them.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- async so a failure on the way is a rejection the CLI reports like any other
export async function exportPairs(opts: CommonOptions & { format: 'ndjson' | 'csv' }): Promise<number> {
  const dataDir = resolveDataDir(opts.dataDir);
  const shards = layoutShards(dataDir);
  const config = configFor(dataDir, shards);
  // stdout to a file, pipe or terminal is synchronous on Linux: written in chunks as pairs are walked.
  let chunk = opts.format === 'csv' ? FIELDS.join(',') + '\n' : '';
  const write = (line: string): void => {
    chunk += line;
    if (chunk.length >= 1 << 16) {
      process.stdout.write(chunk);
      chunk = '';
    }
  };
  let pairs = 0;
  for (let k = 0; k < shards; k++) {
    const storage = openReadOnly(config, k);
    let state;
    try {
      state = recover(config, k, storage).state;
    } catch (err) {
      throw new CommandError(`cannot export: ${(err as Error).message} (run wt verify)`);
    } finally {
      void storage.env.close();
    }
    state.forEachPair((user, _slug, p) => {
      // The same body the API answers for GET /users/{user}/movies/{slug}.
      const body: Partial<Record<(typeof FIELDS)[number], string | number | boolean>> = pairBody(user, p);
      write(opts.format === 'csv' ? FIELDS.map((f) => csvField(body[f])).join(',') + '\n' : JSON.stringify(body) + '\n');
      pairs++;
    });
  }
  if (chunk) process.stdout.write(chunk);
  process.stderr.write(`wt: exported ${pairs} pairs from ${shards} shards\n`);
  return 0;
}
