import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardDir, socketPath } from '../../src/data-dir.js';
import { shardOf } from '../../src/hash.js';
import { recover } from '../../src/shard/recovery.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/shard/snapshot.js';
import { ShardState, type StateSnapshot } from '../../src/shard/state.js';
import { openStorage } from '../../src/shard/storage.js';
import { configFor, layoutShards, openReadOnly, resolveDataDir, socketAnswers, CommandError, type CommonOptions } from './common.js';

/** One new shard's state, built pair by pair in the column layout of a snapshot. */
class Builder {
  private readonly userIds = new Map<string, number>();
  private readonly slugIds = new Map<string, number>();
  readonly users: string[] = [];
  readonly slugs: string[] = [];
  private readonly userWatch: number[] = [];
  private readonly userMovies: number[] = [];
  private readonly userHead: number[] = [];
  private readonly movieWatch: number[] = [];
  private readonly movieViewers: number[] = [];
  private readonly p = {
    watchTime: [] as number[],
    at: [] as number[],
    furthest: [] as number[],
    updatedAt: [] as number[],
    events: [] as number[],
    ts: [] as number[],
    lateEvents: [] as number[],
    user: [] as number[],
    slug: [] as number[],
    next: [] as number[],
  };

  get pairCount(): number {
    return this.p.user.length;
  }

  /** A user moves whole: its totals are copied as they are (not re-added), so they stay bit-identical. */
  addUser(user: string, watchTime: number, movies: number): void {
    this.userIds.set(user, this.users.length);
    this.users.push(user);
    this.userWatch.push(watchTime);
    this.userMovies.push(movies);
    this.userHead.push(-1);
  }

  hasUser(user: string): boolean {
    return this.userIds.has(user);
  }

  addPair(
    user: string,
    slug: string,
    pair: { watchTime: number; at: number; furthest: number; events: number; updatedAt: number; lateEvents: number },
    ts: number,
  ): void {
    const userId = this.userIds.get(user)!;
    let slugId = this.slugIds.get(slug);
    if (slugId === undefined) {
      slugId = this.slugs.length;
      this.slugIds.set(slug, slugId);
      this.slugs.push(slug);
      this.movieWatch.push(0);
      this.movieViewers.push(0);
    }
    const index = this.p.user.length;
    this.p.watchTime.push(pair.watchTime);
    this.p.at.push(pair.at);
    this.p.furthest.push(pair.furthest);
    this.p.updatedAt.push(pair.updatedAt);
    this.p.events.push(pair.events);
    this.p.ts.push(ts);
    this.p.lateEvents.push(pair.lateEvents);
    this.p.user.push(userId);
    this.p.slug.push(slugId);
    this.p.next.push(this.userHead[userId]!);
    this.userHead[userId] = index;
    this.movieWatch[slugId]! += pair.watchTime;
    this.movieViewers[slugId]!++;
  }

  snapshot(recent: (string | number)[]): StateSnapshot {
    const p = this.p;
    return {
      users: this.users,
      slugs: this.slugs,
      userWatch: Float64Array.from(this.userWatch),
      userMovies: Uint32Array.from(this.userMovies),
      userHead: Int32Array.from(this.userHead),
      movieWatch: Float64Array.from(this.movieWatch),
      movieViewers: Uint32Array.from(this.movieViewers),
      pairs: {
        watchTime: Float64Array.from(p.watchTime),
        at: Float64Array.from(p.at),
        furthest: Float64Array.from(p.furthest),
        updatedAt: Float64Array.from(p.updatedAt),
        events: Uint32Array.from(p.events),
        ts: Float64Array.from(p.ts),
        lateEvents: Uint32Array.from(p.lateEvents),
        user: Uint32Array.from(p.user),
        slug: Uint32Array.from(p.slug),
        next: Int32Array.from(p.next),
      },
      recent,
    };
  }
}

/**
 * Idempotency keys of every old shard, for every new shard: a retry of a request stored before
 * the reshard must not be applied again, whichever new shards its events now go to. (Such a
 * retry's `accepted` is then the old request's total per shard involved, not exact; see README.)
 */
function mergeRecent(all: (string | number)[][]): (string | number)[] {
  const byKey = new Map<string, [number, number]>();
  for (const flat of all) {
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const key = flat[i] as string;
      const prev = byKey.get(key);
      byKey.set(key, [(prev?.[0] ?? 0) + (flat[i + 1] as number), Math.max(prev?.[1] ?? 0, flat[i + 2] as number)]);
    }
  }
  return [...byKey].sort((a, b) => a[1][1] - b[1][1]).flatMap(([key, [accepted, at]]) => [key, accepted, at]);
}

function writeLayout(dataDir: string, layout: object): void {
  const file = join(dataDir, 'layout.json');
  writeFileSync(file + '.tmp', JSON.stringify(layout) + '\n');
  renameSync(file + '.tmp', file);
}

/**
 * `wt reshard --to N`, offline: recovers every shard, sends each pair's state (not its events) to
 * shard fnv1a32(user) % N, writes N new environments each holding one snapshot at seq 0 and an
 * empty log, then swaps them in and records N in layout.json. The old environments are kept in
 * DATA_DIR/pre-reshard-<from>-to-<to>-<time>/ unless --delete-old.
 */
export async function reshard(opts: CommonOptions & { to: number; deleteOld: boolean }): Promise<number> {
  const dataDir = resolveDataDir(opts.dataDir);
  const from = layoutShards(dataDir);
  const to = opts.to;
  if (from === to) {
    console.log(`DATA_DIR ${dataDir} already has ${to} shards; nothing to do`);
    return 0;
  }
  const running = [];
  for (let k = 0; k < Math.max(from, to); k++) if (await socketAnswers(socketPath(dataDir, k))) running.push(k);
  if (running.length > 0) {
    throw new CommandError(
      `the service is running on ${dataDir} (shard${running.length > 1 ? 's' : ''} ${running.join(', ')} answer on their sockets); stop it first (Ctrl-C on npm start, or SIGTERM to pm2-runtime), then reshard`,
      3,
    );
  }
  const config = configFor(dataDir, from);
  const started = Date.now();

  // 1. Recover every old shard (read-only) and distribute its pairs.
  const builders = Array.from({ length: to }, () => new Builder());
  const recent: (string | number)[][] = [];
  let users = 0;
  let pairs = 0;
  // The movie catalogue (CONTRACT §5.2) is on every shard; it goes to every new shard. Retention
  // coverage and series are not moved yet: the new shards count them from the reshard on.
  const catalogue = new Map<string, [string, number, string | null]>();
  for (let k = 0; k < from; k++) {
    const storage = openReadOnly(config, k);
    let state: ShardState;
    try {
      state = recover(config, k, storage).state;
    } catch (err) {
      throw new CommandError(`cannot reshard: ${(err as Error).message}; nothing was changed (run wt verify)`);
    } finally {
      await storage.env.close();
    }
    users += state.userCount;
    pairs += state.pairCount;
    recent.push(state.recent.entries());
    for (const entry of state.catalogue()) catalogue.set(entry[0], entry);
    state.forEachPair((user, slug, pair, ts) => {
      const b = builders[shardOf(user, to)]!;
      if (!b.hasUser(user)) {
        const total = state.user(user)!;
        b.addUser(user, total.watchTime, total.movies);
      }
      b.addPair(user, slug, pair, ts);
    });
  }
  const keys = mergeRecent(recent);

  // 2. Write the new environments beside the old ones; check each reads back whole.
  const staging = join(dataDir, '.reshard-new');
  rmSync(staging, { recursive: true, force: true });
  const stagingConfig = { ...config, dataDir: staging, shards: to };
  const takenAt = Date.now();
  let newUsers = 0;
  let newPairs = 0;
  for (let k = 0; k < to; k++) {
    const state = ShardState.restore(builders[k]!.snapshot(keys), config.watchMaxStep, undefined, config.insights);
    for (const [slug, duration, title] of catalogue.values()) state.putMovie(slug, duration, title);
    const bytes = encodeSnapshot({ seq: 0, takenAt, state: state.snapshot() });
    const storage = openStorage(stagingConfig, k);
    await storage.snapshots.put(0, bytes);
    await storage.env.close();
    const back = openReadOnly(stagingConfig, k);
    try {
      const restored = ShardState.restore(decodeSnapshot(back.snapshots.get(0)!).state, config.watchMaxStep);
      if ([...back.log.getKeys()].length !== 0) throw new Error('log not empty');
      newUsers += restored.userCount;
      newPairs += restored.pairCount;
    } finally {
      await back.env.close();
    }
  }
  if (newUsers !== users || newPairs !== pairs) {
    rmSync(staging, { recursive: true, force: true });
    throw new CommandError(`internal check failed (users ${users} → ${newUsers}, pairs ${pairs} → ${newPairs}); nothing was changed`);
  }

  // 3. Swap. While the directories move, layout.json says shards=0, so nothing starts on a half-moved DATA_DIR.
  const backup = join(dataDir, `pre-reshard-${from}-to-${to}-${new Date(started).toISOString().replace(/[:.]/g, '-')}`);
  writeLayout(dataDir, { shards: 0, reshard: { from, to, backup } });
  mkdirSync(backup, { recursive: true });
  writeFileSync(join(backup, 'layout.json'), JSON.stringify({ shards: from }) + '\n');
  for (let k = 0; k < from; k++) if (existsSync(shardDir(dataDir, k))) renameSync(shardDir(dataDir, k), shardDir(backup, k));
  for (let k = 0; k < to; k++) renameSync(shardDir(staging, k), shardDir(dataDir, k));
  rmSync(staging, { recursive: true, force: true });
  for (let k = 0; k < Math.max(from, to); k++) rmSync(socketPath(dataDir, k), { force: true }); // stale sockets of stopped shards
  writeLayout(dataDir, { shards: to });
  if (opts.deleteOld) rmSync(backup, { recursive: true, force: true });

  const ms = Date.now() - started;
  if (opts.json) console.log(JSON.stringify({ dataDir, from, to, users, pairs, idempotencyKeys: keys.length / 3, backup: opts.deleteOld ? null : backup, ms }));
  else {
    console.log(`resharded ${dataDir}: ${from} → ${to} shards, ${users} users, ${pairs} pairs in ${ms} ms`);
    for (let k = 0; k < to; k++) console.log(`  shard ${k}: ${builders[k]!.users.length} users, ${builders[k]!.pairCount} pairs`);
    console.log(opts.deleteOld ? 'old shard environments deleted' : `old shard environments kept in ${backup} (delete it once the service runs well)`);
    console.log(`start the service with SHARDS=${to}`);
  }
  return 0;
}
