import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { cpuSeconds, findExecutable, machineTicks } from './proc.js';

/** wrk's path, or null when it is not installed. */
export function findWrk(): string | null {
  return findExecutable('wrk', (path) => versionOutput(path) !== null);
}

/** What `wrk -v` prints (it exits 1 after printing), or null if it cannot run. */
function versionOutput(path: string): string | null {
  try {
    return execFileSync(path, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string };
    return typeof e.status === 'number' && e.stdout ? e.stdout : null;
  }
}

export function wrkVersion(wrk: string): string {
  return /wrk (\S+)/.exec(versionOutput(wrk) ?? '')?.[1] ?? 'unknown';
}

export interface WrkResult {
  requests: number;
  /** requests answered 2xx (wrk counts status > 399 as errors) */
  ok: number;
  durationS: number;
  /** completed requests per second (any status) */
  rps: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { min: number; mean: number; max: number; p50: number; p90: number; p99: number; p999: number };
  /** CPU seconds wrk itself used during the load (user + system, after building its request pool) */
  wrkCpuS: number;
  /** the same as cores: wrkCpuS / duration */
  wrkCores: number;
  /** CPU cores used by each watched process during the load, by label */
  procCores: Record<string, number>;
  /** CPU cores busy on the whole machine during the load (wrk, servers, and anything else running) */
  machineCores: number;
}

export interface WrkOptions {
  wrk: string;
  url: string;
  script: string;
  /** whole seconds */
  seconds: number;
  connections: number;
  threads?: number;
  args: (string | number)[];
  /** pids whose CPU use over the run is reported, by label */
  watch?: Record<string, number>;
}

interface Sample {
  wrk: number;
  procs: Record<string, number>;
  machine: { busy: number; total: number };
}

const sampleAll = (pid: number, watch: Record<string, number>): Sample => ({
  wrk: cpuSeconds(pid),
  procs: Object.fromEntries(Object.entries(watch).map(([k, p]) => [k, cpuSeconds(p)])),
  machine: machineTicks(),
});

/**
 * Runs wrk once; it stops by itself after `seconds` (a watchdog kills its process group if it
 * does not). CPU use comes from /proc/<pid>/stat, read when the Lua script says its set-up is done
 * (WRK_INIT) and again when done() has printed the results (WRK_JSON), before wrk exits.
 */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const argv = [
    '-t',
    String(o.threads ?? 1),
    '-c',
    String(o.connections),
    '-d',
    `${o.seconds}s`,
    '--latency',
    '-s',
    o.script,
    o.url,
    '--',
    ...o.args.map(String),
  ];
  const watch = o.watch ?? {};
  return new Promise((resolve, reject) => {
    const child = spawn(o.wrk, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid!;
    let out = '';
    let err = '';
    let start: Sample | null = null;
    let end: Sample | null = null;
    const watchdog = setTimeout(
      () => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      },
      (o.seconds + 60) * 1000,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (start === null && out.includes('WRK_INIT')) start = sampleAll(pid, watch);
      if (end === null && out.includes('WRK_JSON')) end = sampleAll(pid, watch);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      const line = /WRK_JSON (\{.*\})/.exec(out);
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${argv.join(' ')} exited ${code}\n${out}\n${err}`));
        return;
      }
      const j = JSON.parse(line[1]!) as { requests: number; duration_us: number; errors: WrkResult['errors']; latency_us: WrkResult['latencyUs'] };
      const durationS = j.duration_us / 1e6;
      const wrkCpuS = (end?.wrk ?? NaN) - (start?.wrk ?? NaN);
      const procCores: Record<string, number> = {};
      for (const k of Object.keys(watch)) procCores[k] = ((end?.procs[k] ?? NaN) - (start?.procs[k] ?? NaN)) / durationS;
      const busy = (end?.machine.busy ?? NaN) - (start?.machine.busy ?? NaN);
      const total = (end?.machine.total ?? NaN) - (start?.machine.total ?? NaN);
      resolve({
        requests: j.requests,
        ok: j.requests - j.errors.status,
        durationS,
        rps: j.requests / durationS,
        errors: j.errors,
        latencyUs: j.latency_us,
        wrkCpuS,
        wrkCores: wrkCpuS / durationS,
        procCores,
        machineCores: (busy / total) * availableParallelism(),
      });
    });
  });
}
