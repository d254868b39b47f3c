import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
const PM2_RUNTIME = join(ROOT, 'node_modules/pm2/bin/pm2-runtime');
const PM2 = join(ROOT, 'node_modules/pm2/bin/pm2');

/** Runs the pm2 CLI with `env` (its PM2_HOME picks the service); resolves with its output. */
export function runPm2(env: Record<string, string>, args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [PM2, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`pm2 ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export interface ServiceOptions {
  shards?: number;
  env?: Record<string, string>;
  /** Reuse a DATA_DIR (restart on the same data). */
  dataDir?: string;
  /** Reuse a port (to restart on the same address). */
  port?: number;
  /** How long to wait for /readyz [30 s]. */
  readyTimeoutMs?: number;
}

/**
 * The real service under pm2-runtime (front + shard processes) on a free port with a temp
 * DATA_DIR and PM2_HOME, in its own process group, exactly as `npm start` runs it after the build.
 */
export class Service {
  readonly url: string;
  readonly pm2Home: string;
  output = '';
  exit: Promise<{ code: number | null; signal: string | null }>;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.pm2Home = env.PM2_HOME!;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exit = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  }

  static async start(opts: ServiceOptions = {}): Promise<Service> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wt-data-'));
    const port = opts.port ?? (await freePort());
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SHARDS: String(opts.shards ?? 2),
      PM2_HOME: mkdtempSync(join(tmpdir(), 'wt-pm2-')),
      ...opts.env,
    };
    const child = spawn(process.execPath, [PM2_RUNTIME, 'ecosystem.config.js'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const service = new Service(child, port, dataDir, env);
    // pm2-runtime runs in its own process group: if this test process dies (a tap timeout, a
    // crash) before its teardown, take the service down with it instead of leaving it running.
    const reap = (): void => service.kill();
    process.once('exit', reap);
    void service.exit.then(() => process.off('exit', reap));
    // 'exit' handlers do not run when the test process is SIGKILLed (or tap's timeout kills it):
    // a detached shell waits for either to end and, if the test went first, stops the service.
    const watch = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; kill -0 ${process.pid} 2>/dev/null || kill -INT -${child.pid} 2>/dev/null`;
    spawn('sh', ['-c', watch, 'wt-service-watchdog'], { detached: true, stdio: 'ignore' }).unref();
    try {
      await service.waitReady(opts.readyTimeoutMs);
    } catch (err) {
      // Not ready: do not leave it running behind the caller's back.
      service.kill();
      throw err;
    }
    return service;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      try {
        const r = await fetch(`${this.url}/readyz`);
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(50);
    }
    throw new Error(`service not ready within ${timeoutMs} ms\n${this.output.slice(-3000)}`);
  }

  /** A pm2 CLI command against this service's pm2 (e.g. `restart 0`). */
  pm2(...args: string[]): Promise<string> {
    return runPm2(this.env, args);
  }

  /** pids of the app processes by pm2 name (`wt-front`, `wt-shard`), in instance order. */
  async pids(name: string): Promise<number[]> {
    const list = JSON.parse(await this.pm2('jlist')) as { name: string; pid: number; pm2_env: { NODE_APP_INSTANCE?: number } }[];
    return list
      .filter((p) => p.name === name)
      .sort((a, b) => (a.pm2_env.NODE_APP_INSTANCE ?? 0) - (b.pm2_env.NODE_APP_INSTANCE ?? 0))
      .map((p) => p.pid);
  }

  /** Graceful stop as a terminal does it: the signal to the process group; resolves with the exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 25_000): Promise<{ code: number | null; signal: string | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid!, signal);
      } catch {
        /* already gone */
      }
    }
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const result = await this.exit;
    clearTimeout(timer);
    return result;
  }

  /** SIGKILL of pm2-runtime's group; the apps notice their parent is gone and exit on their own. */
  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.pm2Home, { recursive: true, force: true });
  }

  removeData(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  // Response bodies are `any`: tests assert on the JSON shape the contract fixes.
  async post(
    body: unknown,
    path = '/events',
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const r = await fetch(this.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, body: await r.json(), headers: r.headers };
  }

  async get(path: string): Promise<{ status: number; body: any; headers: Headers }> {
    const r = await fetch(this.url + path);
    return { status: r.status, body: await r.json(), headers: r.headers };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
