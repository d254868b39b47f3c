import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { isAlive, Service, sleep } from '../../test/helpers/service.js';

export interface App {
  name: string;
  instance: number;
  pid: number;
  restarts: number;
}

interface Jlist {
  name: string;
  pid: number;
  pm2_env: { NODE_APP_INSTANCE?: number; restart_time?: number };
}

/**
 * The service under test across whole-service restarts: the same DATA_DIR, port and environment
 * each time, a fresh PM2_HOME per pm2-runtime. Only processes this run started are signalled, by
 * pid or by pm2-runtime's process group.
 */
export class Cluster {
  /** pm2 restart counts of pm2-runtimes already killed. */
  private pastRestarts = 0;
  /** Whole-service starts after the first. */
  serviceRestarts = 0;
  /** App processes still alive after their pm2-runtime was killed and the wait ran out. */
  orphans = 0;
  /** For each orphan: app, pid, /proc state. */
  orphanNotes: string[] = [];
  /** Processes this run has SIGSTOPped and not yet continued. */
  private readonly stopped = new Set<number>();
  private outputs: string[] = [];

  private constructor(
    public svc: Service,
    readonly shards: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(shards: number, env: Record<string, string>): Promise<Cluster> {
    return new Cluster(await Service.start({ shards, env }), shards, env);
  }

  get port(): number {
    return this.svc.port;
  }

  get dataDir(): string {
    return this.svc.dataDir;
  }

  /** Everything pm2-runtime printed, across restarts. */
  get output(): string {
    return [...this.outputs, this.svc.output].join('\n');
  }

  async apps(): Promise<App[]> {
    const list = JSON.parse(await this.svc.pm2('jlist')) as Jlist[];
    return list.map((p) => ({ name: p.name, instance: p.pm2_env.NODE_APP_INSTANCE ?? 0, pid: p.pid, restarts: p.pm2_env.restart_time ?? 0 }));
  }

  /** pm2's automatic restarts since the start, summed over every pm2-runtime of this run. */
  async pm2Restarts(): Promise<number> {
    return this.pastRestarts + (await this.apps()).reduce((n, a) => n + a.restarts, 0);
  }

  /** SIGKILL of one app process (pm2 restarts it); resolves once pm2 runs a new one and the service is ready. */
  async killApp(name: string, instance: number): Promise<number> {
    const app = (await this.apps()).find((a) => a.name === name && a.instance === instance);
    if (!app || app.pid <= 0) throw new Error(`${name} ${instance} has no process to kill`);
    process.kill(app.pid, 'SIGKILL');
    const until = Date.now() + 30_000;
    for (;;) {
      const now = (await this.apps()).find((a) => a.name === name && a.instance === instance);
      if (now && now.pid > 0 && now.pid !== app.pid) break;
      if (Date.now() > until) throw new Error(`pm2 did not restart ${name} ${instance} within 30 s`);
      await sleep(100);
    }
    await this.svc.waitReady(60_000);
    return app.pid;
  }

  /**
   * SIGKILL of pm2-runtime's process group; then every app process must exit by itself (they
   * watch their parent); then the service starts again on the same DATA_DIR and port.
   * Returns how long the apps took to exit (ms).
   */
  async killAll(): Promise<number> {
    const apps = await this.apps();
    this.pastRestarts += apps.reduce((n, a) => n + a.restarts, 0);
    const pids = apps.map((a) => a.pid).filter((p) => p > 0);
    const killedAt = Date.now();
    this.svc.kill();
    await this.svc.exit;
    const until = Date.now() + 20_000;
    while (pids.some(isAlive) && Date.now() < until) await sleep(50);
    const exitMs = Date.now() - killedAt;
    const left = pids.filter(isAlive);
    if (left.length > 0) {
      // Which app, and what it was doing (state and kernel wait channel), for whoever debugs it.
      for (const pid of left) {
        const app = apps.find((a) => a.pid === pid);
        this.orphanNotes.push(`${app?.name ?? '?'} ${app?.instance ?? ''} pid ${pid}: ${procState(pid)}`);
      }
      this.orphans += left.length;
      for (const pid of left) process.kill(pid, 'SIGKILL');
      while (left.some(isAlive)) await sleep(50);
    }
    this.outputs.push(this.svc.output);
    rmSync(this.svc.pm2Home, { recursive: true, force: true });
    this.svc = await Service.start({ shards: this.shards, env: this.env, dataDir: this.dataDir, port: this.port });
    this.serviceRestarts++;
    return exitMs;
  }

  /** SIGSTOP of a shard for `ms`, then SIGCONT. */
  async freeze(instance: number, ms: number): Promise<void> {
    const app = (await this.apps()).find((a) => a.name === 'wt-shard' && a.instance === instance);
    if (!app || app.pid <= 0) throw new Error(`shard ${instance} has no process to stop`);
    process.kill(app.pid, 'SIGSTOP');
    this.stopped.add(app.pid);
    try {
      await sleep(ms);
    } finally {
      this.thaw(app.pid);
    }
  }

  private thaw(pid: number): void {
    this.stopped.delete(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }

  /** Graceful stop of everything this run started, then (unless kept) the data. */
  async dispose(keepData = false): Promise<void> {
    for (const pid of [...this.stopped]) this.thaw(pid);
    await this.svc.dispose();
    if (!keepData) this.svc.removeData();
  }
}

/** `State` from /proc/PID/status and the kernel wait channel of each thread. */
function procState(pid: number): string {
  try {
    const state = /^State:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
    const threads = readdirSync(`/proc/${pid}/task`).map((t) => {
      const read = (f: string): string => readFileSync(`/proc/${pid}/task/${t}/${f}`, 'utf8').trim();
      return `${read('comm')}:${read('wchan') || '-'}`;
    });
    return `${state}; threads ${threads.join(' ')}`;
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  }
}
