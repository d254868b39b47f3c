import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, getStatus, ROOT, sleep } from './service.js';

/**
 * The service without pm2: `node [nodeArgs] dist/src/shard/main.js` per shard (SHARD_ID) and
 * dist/src/front/main.js, each a child of the bench. For options pm2 cannot pass through
 * NODE_OPTIONS, such as --cpu-prof. SIGINT stops each gracefully (so --cpu-prof writes its file).
 */
export class DirectService {
  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly front: ChildProcess,
    readonly shards: ChildProcess[],
    readonly output: { text: string },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(shards: number, nodeArgs: string[]): Promise<DirectService> {
    const dataDir = mkdtempSync(join(tmpdir(), 'wt-bench-direct-'));
    const port = await freePort();
    const base = { ...(process.env as Record<string, string>) };
    delete base.NODE_OPTIONS;
    delete base.INGEST_TOKEN;
    delete base.QUERY_TOKEN;
    const env = { ...base, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, SHARDS: String(shards) };
    const output = { text: '' };
    const run = (script: string, extra: Record<string, string>): ChildProcess => {
      const child = spawn(process.execPath, [...nodeArgs, join(ROOT, script)], { cwd: ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => (output.text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
      return child;
    };
    const shardProcs = Array.from({ length: shards }, (_, k) => run('dist/src/shard/main.js', { SHARD_ID: String(k) }));
    const front = run('dist/src/front/main.js', {});
    const service = new DirectService(port, dataDir, front, shardProcs, output);
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      if ((await getStatus(port, '/readyz')) === 200) return service;
      await sleep(20);
    }
    await service.stop();
    throw new Error(`direct service not ready\n${output.text.slice(-3000)}`);
  }

  /** SIGINT to every process, then waits for each to exit (SIGKILL after 30 s). */
  async stop(): Promise<void> {
    const all = [this.front, ...this.shards];
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((ok) => {
            if (c.exitCode !== null || c.signalCode !== null) return ok();
            const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
            c.once('exit', () => {
              clearTimeout(timer);
              ok();
            });
            c.kill('SIGINT');
          }),
      ),
    );
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
