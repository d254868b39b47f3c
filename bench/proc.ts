import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ); 100 on every Linux we run on. */
let hz = 0;
function clockTicks(): number {
  if (hz === 0) {
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      hz = 100;
    }
  }
  return hz;
}

/** CPU seconds (user + system) a live process has used so far; NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

export interface Rss {
  /** VmRSS, bytes */
  rss: number;
  /** RssAnon (heap, stacks, typed arrays), bytes */
  anon: number;
  /** RssFile (mapped files: code, LMDB pages read through the map), bytes */
  file: number;
}

/** Resident memory of a live process from /proc/<pid>/status. */
export function rssOf(pid: number): Rss {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

export function sumRss(pids: number[]): Rss {
  const all = pids.map(rssOf);
  return {
    rss: all.reduce((a, r) => a + r.rss, 0),
    anon: all.reduce((a, r) => a + r.anon, 0),
    file: all.reduce((a, r) => a + r.file, 0),
  };
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  kernel: string;
  wrk: string;
}

export function machineInfo(wrkVersion: string): MachineInfo {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    kernel: release(),
    wrk: wrkVersion,
  };
}

/** Filesystem type under a path (ext4, tmpfs, ...): fsync costs nothing on tmpfs. */
export function filesystemOf(path: string): string {
  try {
    return execFileSync('df', ['--output=fstype', path], { encoding: 'utf8' }).trim().split('\n').pop() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The direct children of a process (Linux /proc), e.g. the Redis a peer started. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The first `name` on PATH (then /usr/bin, /usr/sbin, /usr/local/bin) that `works`, or null. */
export function findExecutable(name: string, works: (path: string) => boolean = existsSync): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/sbin', '/usr/local/bin')) {
    if (dir && works(join(dir, name))) return join(dir, name);
  }
  return null;
}
