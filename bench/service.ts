import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, isAlive, ROOT, runPm2, sleep } from '../test/helpers/service.js';

export { freePort, isAlive, ROOT, sleep };
const PM2_RUNTIME = join(ROOT, 'node_modules/pm2/bin/pm2-runtime');

/** GET on 127.0.0.1; resolves with the status, or 0 when nothing answers. */
export function getStatus(port: number, path: string): Promise<number> {
  return new Promise((ok) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', () => ok(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Every process group and pid this bench started, so an interrupted run leaves nothing behind. */
const started = new Set<BenchService>();
export function killEverything(): void {
  for (const s of started) s.killHard();
}

export interface StartOptions {
  shards: number;
  env?: Record<string, string>;
  /** Reuse a DATA_DIR (a restart on the same data); default a new temp dir. */
  dataDir?: string;
  /** Give up waiting for /readyz after this long. */
  readyTimeoutMs?: number;
  /** Another checkout, built, to run instead of this one (A/B runs: BENCH_BEFORE). */
  root?: string;
}

/** A shard's "recovered ... in N ms" log line. */
export interface Recovery {
  shard: number;
  pairs: number;
  from: string;
  records: number;
  events: number;
  ms: number;
}

/**
 * The real service as `npm start` runs it (pm2-runtime ecosystem.config.js, after the build),
 * in its own process group, on 127.0.0.1 and a free port, with a temp PM2_HOME and DATA_DIR.
 * Like test/helpers/service.ts, plus what the bench needs: start-to-ready time at 10 ms
 * resolution and a hard kill that leaves no process time to snapshot.
 */
export class BenchService {
  output = '';
  readonly exit: Promise<void>;
  readyMs = NaN;
  private pidCache = new Map<string, number[]>();

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    readonly pm2Home: string,
    readonly env: Record<string, string>,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exit = new Promise((ok) => child.once('exit', () => ok()));
    started.add(this);
    void this.exit.then(() => started.delete(this));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(o: StartOptions): Promise<BenchService> {
    const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'wt-bench-data-'));
    const pm2Home = mkdtempSync(join(tmpdir(), 'wt-bench-pm2-'));
    const port = await freePort();
    const base = { ...(process.env as Record<string, string>) };
    // A test runner's loader hooks (tap sets NODE_OPTIONS) must not ride along into the service,
    // nor tokens from the caller's shell: the bench sends no Authorization header.
    delete base.NODE_OPTIONS;
    delete base.INGEST_TOKEN;
    delete base.QUERY_TOKEN;
    const env: Record<string, string> = {
      ...base,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SHARDS: String(o.shards),
      PM2_HOME: pm2Home,
      ...o.env,
    };
    const t0 = performance.now();
    const child = spawn(process.execPath, [PM2_RUNTIME, 'ecosystem.config.js'], {
      cwd: o.root ?? ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new BenchService(child, port, dataDir, pm2Home, env);
    let exited = false;
    void service.exit.then(() => (exited = true));
    const until = Date.now() + (o.readyTimeoutMs ?? 120_000);
    while (Date.now() < until && !exited) {
      if ((await getStatus(port, '/readyz')) === 200) {
        service.readyMs = performance.now() - t0;
        return service;
      }
      await sleep(10);
    }
    service.killHard();
    throw new Error(`service (SHARDS=${o.shards}) not ready${exited ? ': it exited' : ''}\n${service.output.slice(-3000)}`);
  }

  private pm2(...args: string[]): Promise<string> {
    return runPm2(this.env, args);
  }

  /** pids of an app (`wt-front`, `wt-shard`) in instance order, from `pm2 jlist`. */
  async pids(name: 'wt-front' | 'wt-shard'): Promise<number[]> {
    const list = JSON.parse(await this.pm2('jlist')) as { name: string; pid: number; pm2_env: { NODE_APP_INSTANCE?: number } }[];
    for (const app of ['wt-front', 'wt-shard']) {
      this.pidCache.set(
        app,
        list
          .filter((p) => p.name === app)
          .sort((a, b) => (a.pm2_env.NODE_APP_INSTANCE ?? 0) - (b.pm2_env.NODE_APP_INSTANCE ?? 0))
          .map((p) => p.pid),
      );
    }
    return this.pidCache.get(name) ?? [];
  }

  /** The shards' recovery log lines so far (one per shard start). */
  recoveries(): Recovery[] {
    // JSON log lines (src/log.ts): {"level":"info",...,"shard":0,"msg":"recovered ..."}
    const re = /"shard":(\d+),"msg":"recovered (\d+) pairs from (.+?) \+ (\d+) log records \((\d+) events\) in (\d+) ms"/g;
    return [...this.output.matchAll(re)].map((m) => ({
      shard: Number(m[1]),
      pairs: Number(m[2]),
      from: m[3]!,
      records: Number(m[4]),
      events: Number(m[5]),
      ms: Number(m[6]),
    }));
  }

  /** Graceful stop (SIGINT to the group, as a terminal does): shards drain and snapshot. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid!, 'SIGINT');
      } catch {
        /* gone */
      }
    }
    const timer = setTimeout(() => this.killHard(), timeoutMs);
    await this.exit;
    clearTimeout(timer);
    await this.waitAppsGone();
  }

  /**
   * SIGKILL of every app process (by pid) and then of pm2-runtime's process group: no process
   * gets to snapshot, and pm2 has no time to restart anything (its restart delay is 200 ms).
   */
  killHard(): void {
    for (const pids of this.pidCache.values()) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  /** Hard kill (after reading the app pids) and wait until every process is gone. */
  async crash(): Promise<void> {
    await this.pids('wt-shard');
    this.killHard();
    await this.exit;
    await this.waitAppsGone();
  }

  private async waitAppsGone(): Promise<void> {
    const pids = [...this.pidCache.values()].flat();
    const until = Date.now() + 20_000;
    while (pids.some(isAlive) && Date.now() < until) await sleep(20);
  }

  /** Removes PM2_HOME (and DATA_DIR unless `keepData`). */
  cleanup(keepData = false): void {
    rmSync(this.pm2Home, { recursive: true, force: true });
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
