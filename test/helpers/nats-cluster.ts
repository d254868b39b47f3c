import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, sleep } from './service.js';

/** Where scripts/install-nats-server.sh unpacks Debian 13's package. */
const INSTALLED = '/opt/nats-server/usr/sbin/nats-server';

/**
 * The nats-server binary the tests run: $NATS_SERVER when set (and then only it), else the one the
 * install script unpacked, else the one on PATH. Throws (failing the test) when none is found or it
 * is older than 2.10: Debian 12's 2.9.10 lets racing publishers through the fence, so a test on it
 * proves nothing.
 */
export function natsServerBinary(): { path: string; version: string } {
  const candidates = process.env.NATS_SERVER ? [process.env.NATS_SERVER] : [INSTALLED, 'nats-server'];
  const found: string[] = [];
  for (const path of candidates) {
    let out: string;
    try {
      out = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      found.push(`${path} does not run`);
      continue;
    }
    const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(out);
    if (!m) {
      found.push(`${path} reports no version`);
      continue;
    }
    const version = `${m[1]}.${m[2]}.${m[3]}`;
    if (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 10)) return { path, version };
    found.push(`${path} is ${version}`);
  }
  throw new Error(
    `the cluster tests need nats-server 2.10 or later (${found.length ? found.join('; ') : 'none found'}): ` +
      'run scripts/install-nats-server.sh (as .ci/run does) or set NATS_SERVER',
  );
}

interface Node {
  name: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  storeDir: string;
  confFile: string;
  child: ChildProcess | null;
  output: string;
}

/**
 * A real 3-server NATS cluster with JetStream on 127.0.0.1 free ports, each server with its own
 * store dir under one temp dir and in its own process group. Servers can be killed with SIGKILL and
 * restarted on the same store. Everything is removed on dispose(), on this process's exit, and, if
 * this process is itself killed, by a watchdog shell that outlives it by at most a second.
 */
export class NatsCluster {
  private readonly nodes: Node[];
  private disposed = false;
  private readonly onExit = (): void => this.killAllSync();

  private constructor(
    readonly dir: string,
    readonly binary: string,
    readonly version: string,
    nodes: Node[],
  ) {
    this.nodes = nodes;
  }

  static async start(size = 3): Promise<NatsCluster> {
    const { path, version } = natsServerBinary();
    const dir = mkdtempSync(join(tmpdir(), 'wt-nats-'));
    const nodes: Node[] = Array.from({ length: size }, (_, i) => ({
      name: `n${i + 1}`,
      port: 0,
      clusterPort: 0,
      monitorPort: 0,
      storeDir: join(dir, `n${i + 1}`),
      confFile: join(dir, `n${i + 1}.conf`),
      child: null,
      output: '',
    }));
    await NatsCluster.configure(nodes);
    const cluster = new NatsCluster(dir, path, version, nodes);
    process.once('exit', cluster.onExit);
    cluster.startWatchdog();
    // Servers started together on a loaded machine sometimes form a meta group without one of them
    // (cluster_size 2, the third never added). A fresh cluster can simply start over on empty stores.
    for (let attempt = 1; ; attempt++) {
      for (let i = 0; i < size; i++) cluster.spawn(i);
      try {
        await cluster.waitReady(attempt < 3 ? 15_000 : 30_000);
        return cluster;
      } catch (err) {
        for (let i = 0; i < size; i++) await cluster.signal(i, 'SIGKILL');
        if (attempt >= 3) {
          cluster.killAllSync();
          throw err;
        }
        for (const n of nodes) {
          rmSync(n.storeDir, { recursive: true, force: true });
          mkdirSync(n.storeDir, { recursive: true });
        }
        // A free port can be taken by another test between freePort() and the server's bind.
        if (nodes.some((n) => n.output.includes('address already in use'))) await NatsCluster.configure(nodes);
      }
    }
  }

  /** Fresh free ports for every node, and the config files that name them. */
  private static async configure(nodes: Node[]): Promise<void> {
    for (const n of nodes) {
      n.port = await freePort();
      n.clusterPort = await freePort();
      n.monitorPort = await freePort();
      n.output = '';
    }
    const routes = nodes.map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
    for (const n of nodes) {
      mkdirSync(n.storeDir, { recursive: true });
      writeFileSync(
        n.confFile,
        [
          `server_name: ${n.name}`,
          `listen: 127.0.0.1:${n.port}`,
          `http: 127.0.0.1:${n.monitorPort}`,
          // Small limits: the tests share a 2-core machine with other work.
          `jetstream { store_dir: "${n.storeDir}", max_memory_store: 64MB, max_file_store: 2GB }`,
          `cluster { name: wt-test, listen: 127.0.0.1:${n.clusterPort}, routes: [${routes.join(', ')}] }`,
          '',
        ].join('\n'),
      );
    }
  }

  /** Client URLs of every server, in index order. */
  get urls(): string[] {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  }

  /** Comma-separated, as NATS_URL takes them. */
  get natsUrl(): string {
    return this.urls.join(',');
  }

  get size(): number {
    return this.nodes.length;
  }

  name(i: number): string {
    return this.node(i).name;
  }

  /** Index of a server by its server_name (as stream infos report leaders). */
  indexOf(serverName: string): number {
    const i = this.nodes.findIndex((n) => n.name === serverName);
    if (i < 0) throw new Error(`no server named ${serverName}`);
    return i;
  }

  pid(i: number): number | undefined {
    return this.node(i).child?.pid;
  }

  isRunning(i: number): boolean {
    const c = this.node(i).child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  output(i: number): string {
    return this.node(i).output;
  }

  /** kill -9 of one server; resolves once it is gone. Its store dir stays for restart(). */
  async kill(i: number): Promise<void> {
    await this.signal(i, 'SIGKILL');
  }

  /** Sends a signal to one server (SIGSTOP/SIGCONT pause it); waits for the exit on SIGKILL/SIGTERM. */
  async signal(i: number, sig: NodeJS.Signals): Promise<void> {
    const n = this.node(i);
    const child = n.child;
    if (!child || !this.isRunning(i)) return;
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    process.kill(child.pid!, sig);
    if (sig === 'SIGKILL' || sig === 'SIGTERM' || sig === 'SIGINT') await exited;
  }

  /**
   * Starts a stopped server again on the same ports and store; resolves when it is healthy (on a
   * loaded machine catching up with the meta leader under load takes a while: `timeoutMs`).
   */
  async restart(i: number, timeoutMs = 30_000): Promise<void> {
    if (this.isRunning(i)) throw new Error(`${this.name(i)} is still running`);
    this.spawn(i);
    await this.waitHealthy(i, timeoutMs);
    await this.waitMetaCurrent(timeoutMs);
  }

  /** The monitoring endpoint's JSON of one server (e.g. `jsz`, `varz`, `routez`). */
  async monitor(i: number, path: string): Promise<Record<string, unknown>> {
    const r = await fetch(`http://127.0.0.1:${this.node(i).monitorPort}/${path}`);
    return (await r.json()) as Record<string, unknown>;
  }

  /** The JetStream meta leader's server name as one running server sees it, or '' while there is none. */
  async metaLeader(i?: number): Promise<string> {
    const from = i ?? this.nodes.findIndex((_, k) => this.isRunning(k));
    try {
      const jsz = (await this.monitor(from, 'jsz')) as { meta_cluster?: { leader?: string } };
      return jsz.meta_cluster?.leader ?? '';
    } catch {
      return '';
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    for (let i = 0; i < this.nodes.length; i++) await this.signal(i, 'SIGKILL');
    this.killAllSync();
    process.off('exit', this.onExit);
  }

  private node(i: number): Node {
    const n = this.nodes[i];
    if (!n) throw new Error(`no server ${i}`);
    return n;
  }

  private spawn(i: number): void {
    const n = this.node(i);
    n.output = '';
    const child = spawn(this.binary, ['-c', n.confFile], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      n.output = (n.output + d.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    n.child = child;
    this.writePids();
  }

  /** The watchdog reads this file, so a restarted server is reaped too. */
  private writePids(): void {
    const pids = this.nodes.map((n) => n.child?.pid).filter((p): p is number => p !== undefined);
    writeFileSync(join(this.dir, 'pids'), pids.join(' ') + '\n');
  }

  /**
   * A detached shell that waits for this process to die, then SIGKILLs the servers and removes the
   * temp dir: process 'exit' handlers do not run on SIGKILL or a tap timeout's kill.
   */
  private startWatchdog(): void {
    const script =
      `while kill -0 ${process.pid} 2>/dev/null && [ -d "$1" ]; do sleep 1; done; ` +
      `[ -f "$1/pids" ] && for p in $(cat "$1/pids"); do kill -9 "$p" 2>/dev/null; done; rm -rf "$1"`;
    const w = spawn('sh', ['-c', script, 'nats-watchdog', this.dir], { detached: true, stdio: 'ignore' });
    w.unref();
  }

  private killAllSync(): void {
    this.disposed = true;
    for (const n of this.nodes) {
      if (n.child?.pid && n.child.exitCode === null && n.child.signalCode === null) {
        try {
          process.kill(n.child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    // Removing the dir also tells the watchdog to stop.
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitHealthy(i: number, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const n = this.node(i);
    while (Date.now() < until) {
      if (!this.isRunning(i)) throw new Error(`${n.name} exited:\n${n.output.slice(-3000)}`);
      try {
        const r = await fetch(`http://127.0.0.1:${n.monitorPort}/healthz`);
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new Error(`${n.name} not healthy within ${timeoutMs} ms:\n${n.output.slice(-3000)}`);
  }

  /**
   * Every server healthy, a meta leader that sees every peer current, and an R3 stream placeable:
   * for a moment after start the leader still counts a peer offline (it has not had its stats
   * yet) and refuses R3 placement with "no suitable peers for placement, peer offline".
   */
  private async waitReady(timeoutMs = 30_000): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.waitHealthy(i, timeoutMs);
    await this.waitMetaCurrent(timeoutMs);
    await this.waitPlaceable(timeoutMs);
  }

  private async waitPlaceable(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const nc = await connect({ servers: this.urls });
    let last = '';
    try {
      const jsm = await jetstreamManager(nc);
      while (Date.now() < until) {
        try {
          await jsm.streams.add({ name: 'harness-probe', subjects: ['harness.probe'], num_replicas: this.nodes.length, storage: StorageType.Memory });
          await jsm.streams.delete('harness-probe');
          return;
        } catch (err) {
          last = (err as Error).message;
          await sleep(200);
        }
      }
    } finally {
      await nc.close();
    }
    throw new Error(`an R${this.nodes.length} stream could not be placed within ${timeoutMs} ms: ${last}`);
  }

  /** Resolves once the meta leader reports every running server as a current, online peer. */
  async waitMetaCurrent(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const running = this.nodes.filter((_, i) => this.isRunning(i)).map((n) => n.name);
    let seen: unknown = null;
    while (Date.now() < until) {
      const leader = await this.metaLeader();
      if (leader !== '' && running.includes(leader)) {
        try {
          const jsz = (await this.monitor(this.indexOf(leader), 'jsz')) as {
            meta_cluster?: { leader?: string; replicas?: { name: string; current: boolean; offline?: boolean }[] };
          };
          seen = jsz.meta_cluster;
          const peers = jsz.meta_cluster?.replicas ?? [];
          const ok = running.filter((n) => n !== leader).every((n) => peers.some((p) => p.name === n && p.current && !p.offline));
          if (jsz.meta_cluster?.leader === leader && ok) return;
        } catch {
          /* the leader just went away: look again */
        }
      }
      await sleep(100);
    }
    throw new Error(`the JetStream meta group did not become current within ${timeoutMs} ms (running ${running}, leader's view ${JSON.stringify(seen)})`);
  }
}
