import { partitionOf } from '../../src/cluster/names.js';
import type { Test } from 'tap';
import { NatsCluster } from './nats-cluster.js';
import { isAlive, Service, sleep, type ServiceOptions } from './service.js';

export interface HostOptions extends ServiceOptions {
  cluster: string;
  partitions: number;
}

/** A host of a cluster: the real service (`npm start`'s pm2-runtime) with NATS_URL, NODE_ID, CLUSTER, PARTITIONS. */
export function startHost(nats: NatsCluster, nodeId: string, o: HostOptions): Promise<Service> {
  return Service.start({
    // Joining a loaded cluster: every partition must have a live owner before /readyz says 200.
    readyTimeoutMs: 90_000,
    ...o,
    shards: o.shards ?? 2,
    env: { NATS_URL: nats.natsUrl, NODE_ID: nodeId, CLUSTER: o.cluster, PARTITIONS: String(o.partitions), ...o.env },
  });
}

/**
 * Every process of a host (pm2-runtime and its apps, each in its own process group): kill -9 of
 * all at once. Resolves with the moment of the kill (performance.now()) once they are gone.
 */
export async function crashHost(host: Service): Promise<number> {
  // (A host that already exited has no pm2 to ask.)
  const pids = await Promise.all([host.pids('wt-front'), host.pids('wt-shard')]).then(
    (lists) => lists.flat().filter((p) => p > 0),
    () => [],
  );
  const at = performance.now();
  host.kill();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await host.exit;
  for (let i = 0; i < 100 && pids.some(isAlive); i++) await sleep(50);
  return at;
}

/** A user name in each partition (for probes that must touch every partition). */
export function userPerPartition(partitions: number, prefix = 'probe'): string[] {
  const out: (string | undefined)[] = new Array(partitions).fill(undefined);
  for (let i = 0, found = 0; found < partitions; i++) {
    const u = `${prefix}-${i}`;
    const p = partitionOf(u, partitions);
    if (out[p] === undefined) {
      out[p] = u;
      found++;
    }
  }
  return out as string[];
}

export interface Answer {
  status: number;

  body: any;
  headers: Headers;
}

/** One HTTP request; a connection error is status 0 (a host being killed or stopped). */
export async function call(url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Answer> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.status, body, headers: r.headers };
  } catch (err) {
    return { status: 0, body: { error: (err as Error).message }, headers: new Headers() };
  }
}

/** GET until 200 (a partition may be moving: 503 is retried), or the last answer after `timeoutMs`. */
export async function getOk(url: string, timeoutMs = 30_000): Promise<Answer> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(url);
    if (r.status === 200 || r.status === 404 || Date.now() > until) return r;
    await sleep(200);
  }
}

export interface LoadStats {
  acked: number;
  attempts: number;
  /** Answers other than 200, by status (0: no answer). */
  failures: Map<number, number>;
  /** 503s without Retry-After. */
  noRetryAfter: number;
}

/**
 * Sequential writers with an exact oracle. Writer w is user `${prefix}-w` watching one movie; its
 * request k is three heartbeats [10k, 10k+5, 10k+10] with Idempotency-Key `${prefix}-w-k`, retried
 * with the same key (on any host) until it gets 200. Applied once, request k adds 10 s and 3
 * events; applied twice it adds 10 s more (the rewind to 10k then two forward steps), and lost it
 * adds nothing: so a pair's `events` must be exactly 3 × acknowledged and its watch time 10 ×.
 */
export class KeyedLoad {
  readonly acked: number[];
  readonly stats: LoadStats = { acked: 0, attempts: 0, failures: new Map(), noRetryAfter: 0 };
  private stopping = false;
  private running: Promise<void> | null = null;
  /** Hosts' base URLs the writers spread their requests over (may be changed while running). */
  urls: string[];

  constructor(
    urls: string[],
    readonly writers: number,
    readonly prefix: string,
    readonly movies = 3,
  ) {
    this.urls = urls;
    this.acked = new Array<number>(writers).fill(0);
  }

  user(w: number): string {
    return `${this.prefix}-${w}`;
  }

  slug(w: number): string {
    return `${this.prefix}-movie-${w % this.movies}`;
  }

  start(): void {
    this.running = Promise.all(Array.from({ length: this.writers }, (_, w) => this.writer(w))).then(() => undefined);
  }

  /** Stops after each writer's current request is acknowledged (each is retried for at most 90 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async writer(w: number): Promise<void> {
    let turn = w;
    for (let k = 0; !this.stopping; k++) {
      const body = JSON.stringify([0, 5, 10].map((d) => ({ user: this.user(w), slug: this.slug(w), at: 10 * k + d })));
      const headers = { 'content-type': 'application/json', 'idempotency-key': `${this.prefix}-${w}-${k}` };
      const giveUp = Date.now() + 90_000;
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > giveUp) throw new Error(`writer ${w} request ${k}: no 200 within 90 s (${this.failureSummary()})`);
        const url = this.urls[turn++ % this.urls.length]!;
        this.stats.attempts++;
        const r = await call(`${url}/events`, { method: 'POST', headers, body });
        if (r.status === 200) {
          if (r.body?.accepted !== 3) throw new Error(`writer ${w} request ${k}: 200 with ${JSON.stringify(r.body)}`);
          this.acked[w]!++;
          this.stats.acked++;
          break;
        }
        this.stats.failures.set(r.status, (this.stats.failures.get(r.status) ?? 0) + 1);
        if (r.status === 503 && !r.headers.get('retry-after')) this.stats.noRetryAfter++;
        if (r.status !== 503 && r.status !== 0) throw new Error(`writer ${w} request ${k}: ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  /** Movie totals the oracle expects: slug → [watchTime, viewers]. */
  movieTotals(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    this.acked.forEach((n, w) => {
      if (n === 0) return;
      const t = out.get(this.slug(w)) ?? [0, 0];
      out.set(this.slug(w), [t[0] + 10 * n, t[1] + 1]);
    });
    return out;
  }

  failureSummary(): string {
    return `${this.stats.acked} acknowledged in ${this.stats.attempts} attempts; failures ${JSON.stringify([...this.stats.failures])}`;
  }
}

/**
 * Every writer's pair, user total and movie total as `url` answers them against the oracle: a list
 * of mismatches (empty when every acknowledged request is there exactly once).
 */
export async function verifyLoad(load: KeyedLoad, url: string): Promise<string[]> {
  const problems: string[] = [];
  for (let w = 0; w < load.writers; w++) {
    const n = load.acked[w]!;
    const user = encodeURIComponent(load.user(w));
    const r = await getOk(`${url}/users/${user}/movies/${encodeURIComponent(load.slug(w))}`);
    if (n === 0) {
      if (r.status !== 404) problems.push(`${load.user(w)}: nothing acknowledged but ${r.status} ${JSON.stringify(r.body)}`);
      continue;
    }
    if (r.status !== 200) problems.push(`${load.user(w)}: ${r.status} ${JSON.stringify(r.body)}`);
    else if (r.body.events !== 3 * n || r.body.watchTime !== 10 * n)
      problems.push(`${load.user(w)}: ${n} acknowledged, has events ${r.body.events} watchTime ${r.body.watchTime}`);
  }
  for (const [slug, [watchTime, viewers]] of load.movieTotals()) {
    const r = await getOk(`${url}/movies/${encodeURIComponent(slug)}/watch-time`);
    if (r.status !== 200 || r.body.watchTime !== watchTime || r.body.viewers !== viewers)
      problems.push(`movie ${slug}: expected ${watchTime}/${viewers}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  return problems;
}

/** ms until a write for every partition succeeds through `url` (probe users, one per partition). */
export async function allPartitionsWritable(url: string, partitions: number, tag: string, timeoutMs = 60_000): Promise<number> {
  const start = performance.now();
  const users = userPerPartition(partitions, `probe-${tag}`);
  await Promise.all(
    users.map(async (user) => {
      for (;;) {
        const r = await call(`${url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user, slug: 'probe', at: 0 }),
        });
        if (r.status === 200) return;
        if (performance.now() - start > timeoutMs)
          throw new Error(`partition of ${user} not writable through ${url} within ${timeoutMs} ms: ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(100);
      }
    }),
  );
  return performance.now() - start;
}

/**
 * A test file's fixture: one 3-server NATS cluster for the file, and two hosts per test
 * (host-a, host-b, `partitions` partitions) disposed after each test.
 */
export async function twoHostFixture(t: Test, partitions: number): Promise<{ nats: NatsCluster; twoHosts: (cluster: string) => Promise<[Service, Service]> }> {
  const nats = await NatsCluster.start();
  t.teardown(() => nats.dispose());
  let hosts: Service[] = [];
  t.afterEach(async (t) => {
    // A failed subtest gets what the hosts printed (their members' logs): why, not just that.
    if (!t.passing()) for (const h of hosts) t.comment(`--- ${h.url}: last output\n${h.output.slice(-6000)}`);
    for (const h of hosts) await h.dispose().catch(() => {});
    hosts = [];
  });
  const twoHosts = async (cluster: string): Promise<[Service, Service]> => {
    const a = await startHost(nats, 'host-a', { cluster, partitions });
    hosts.push(a);
    const b = await startHost(nats, 'host-b', { cluster, partitions });
    hosts.push(b);
    return [a, b];
  };
  return { nats, twoHosts };
}
