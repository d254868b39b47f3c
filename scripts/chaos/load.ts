import { shardOf } from '../../src/hash.js';
import { Rng } from '../simulator/random.js';
import { NoReply, type Client } from './http.js';
import type { Heartbeat, Oracle } from './oracle.js';

export interface LoadOptions {
  viewers: number;
  movies: number;
  shards: number;
  maxStep: number;
  seed: number;
  /** Prefix of every Idempotency-Key of this run. */
  runId: string;
}

export interface LoadStats {
  /** Logical requests acknowledged (200), and their events. */
  acknowledged: number;
  events: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  unavailable: number;
  /** 503 answers without a Retry-After header. */
  noRetryAfter: number;
  /** Other failures by kind: 'ECONNREFUSED', 'timeout', 'HTTP 500', ... */
  errors: Map<string, number>;
  /** A few example bodies of unexpected HTTP answers. */
  samples: string[];
  /** Per shard: longest time from a request's first failure to the next success, for requests to that shard only (ms). */
  longestOutageMs: number[];
  /** Logical requests still unacknowledged when the load gave up (their fate is unknown). */
  unresolved: number;
}

const ODD_USERS = ['__proto__', 'constructor', 'a/b c%2F', 'zoë 🎬', 'prototype', '%', ' lead space'];
const ODD_SLUGS = ['__proto__', 'hasOwnProperty', 'a/b?c#d', 'Ωmega %20', '🎞'];

/** Users `viewer`'s requests are about: one or two (then usually on different shards). */
function usersOf(viewer: number, rng: Rng): string[] {
  const base = viewer < ODD_USERS.length ? `${ODD_USERS[viewer]}` : `viewer-${viewer}`;
  return rng.chance(0.5) ? [base, `${base}·2`] : [base];
}

/**
 * A viewer load in which every pair is sequential: each viewer sends its next logical request only
 * after the previous one got 200, retrying the same body with the same Idempotency-Key until then,
 * with exponential backoff. Requests are single heartbeats, multi-heartbeat batches for one pair
 * (whose internal forward steps a double application would count twice) and batches spanning both
 * of a viewer's users (usually two shards). Positions are multiples of 1/4 so every sum is exact.
 */
export class Load {
  readonly stats: LoadStats;
  private stopping = false;
  private hardDeadline = Infinity;
  private readonly slugs: string[];

  constructor(
    private readonly client: Client,
    private readonly oracle: Oracle,
    private readonly opts: LoadOptions,
  ) {
    this.stats = {
      acknowledged: 0,
      events: 0,
      attempts: 0,
      unavailable: 0,
      noRetryAfter: 0,
      errors: new Map(),
      samples: [],
      longestOutageMs: new Array<number>(opts.shards).fill(0),
      unresolved: 0,
    };
    this.slugs = Array.from({ length: opts.movies }, (_, i) => (i < ODD_SLUGS.length ? ODD_SLUGS[i]! : `movie-${i}`));
  }

  /** Runs every viewer until `stop`; resolves when each has finished its last request (or given up). */
  run(): Promise<void> {
    return Promise.all(Array.from({ length: this.opts.viewers }, (_, v) => this.viewer(v))).then(() => undefined);
  }

  /** No new requests; the ones under way retry until acknowledged or until `graceMs` has passed. */
  stop(graceMs: number): void {
    this.stopping = true;
    this.hardDeadline = Date.now() + graceMs;
  }

  private async viewer(v: number): Promise<void> {
    const rng = new Rng(this.opts.seed, v);
    const users = usersOf(v, rng);
    const positions = new Map<string, number>(); // `${user}\n${slug}` -> last position sent
    const watching = new Map<string, string>(users.map((u) => [u, rng.pick(this.slugs)]));
    const outageSince = new Map<number, number>();
    // Start the viewers apart, not all in the same millisecond.
    await sleep(rng.int(200));
    for (let seq = 1; !this.stopping; seq++) {
      const events: Heartbeat[] = [];
      const heartbeat = (user: string): void => {
        if (rng.chance(0.03)) watching.set(user, rng.pick(this.slugs));
        const slug = watching.get(user)!;
        const key = `${user}\n${slug}`;
        const at = next(positions.get(key), rng, this.opts.maxStep);
        positions.set(key, at);
        events.push({ user, slug, at });
      };
      const r = rng.next();
      if (users.length === 2 && r < 0.15) {
        for (let i = 1 + rng.int(3); i > 0; i--) heartbeat(users[0]!);
        for (let i = 1 + rng.int(3); i > 0; i--) heartbeat(users[1]!);
      } else if (r < 0.4) {
        const user = rng.pick(users);
        for (let i = 2 + rng.int(4); i > 0; i--) heartbeat(user);
      } else {
        heartbeat(rng.pick(users));
      }
      const body = JSON.stringify(events.length === 1 ? events[0] : events);
      const shards = new Set(events.map((e) => shardOf(e.user, this.opts.shards)));
      const only = shards.size === 1 ? [...shards][0]! : -1;
      const ok = await this.send(`${this.opts.runId}-${v}-${seq}`, body, events, (failed) => {
        if (only < 0) return;
        const now = Date.now();
        if (failed) {
          if (!outageSince.has(only)) outageSince.set(only, now);
        } else {
          const since = outageSince.get(only);
          if (since !== undefined) this.stats.longestOutageMs[only] = Math.max(this.stats.longestOutageMs[only]!, now - since);
          outageSince.delete(only);
        }
      });
      if (!ok) return;
    }
  }

  /** One logical request: retried until 200 (true) or the hard deadline (false: unresolved). */
  private async send(key: string, body: string, events: Heartbeat[], outcome: (failed: boolean) => void): Promise<boolean> {
    const s = this.stats;
    const firstSent = Date.now();
    let backoff = 25;
    for (;;) {
      if (Date.now() > this.hardDeadline) {
        s.unresolved++;
        return false;
      }
      s.attempts++;
      try {
        const r = await this.client.request('POST', '/events', body, { 'idempotency-key': key });
        if (r.status === 200) {
          const ackedAt = Date.now();
          const accepted = (JSON.parse(r.body) as { accepted?: unknown }).accepted;
          if (accepted !== events.length) this.count(`200 with accepted ${JSON.stringify(accepted)} for ${events.length} events`, r.body);
          this.oracle.acknowledge(events, firstSent, ackedAt);
          s.acknowledged++;
          s.events += events.length;
          outcome(false);
          return true;
        }
        if (r.status === 503) {
          s.unavailable++;
          if (r.headers['retry-after'] === undefined) s.noRetryAfter++;
        } else {
          this.count(`HTTP ${r.status}`, r.body);
        }
      } catch (err) {
        if (!(err instanceof NoReply)) throw err;
        this.count(err.code);
      }
      outcome(true);
      await sleep(backoff / 2 + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 1000);
    }
  }

  private count(kind: string, sample?: string): void {
    this.stats.errors.set(kind, (this.stats.errors.get(kind) ?? 0) + 1);
    if (sample !== undefined && this.stats.samples.length < 5) this.stats.samples.push(`${kind}: ${sample.slice(0, 300)}`);
  }
}

/** The next position of a pair: mostly forward steps, some pauses, exact max steps, seeks and rewinds. */
function next(prev: number | undefined, rng: Rng, maxStep: number): number {
  if (prev === undefined) return rng.int(4 * 3000) / 4;
  const r = rng.next();
  let at: number;
  if (r < 0.7) at = prev + (1 + rng.int(4 * 30)) / 4;
  else if (r < 0.78) at = prev;
  else if (r < 0.83) at = prev + maxStep;
  else if (r < 0.9) at = prev + maxStep + (1 + rng.int(4 * 600)) / 4;
  else at = Math.max(0, prev - (1 + rng.int(4 * 100)) / 4);
  return at;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
