/**
 * Summarises a V8 .cpuprofile (from node --cpu-prof): self time by function (name + file:line)
 * and by module (a package in node_modules, a source file, node's internals, or V8's own
 * "(garbage collector)"/"(program)"/"(idle)"), largest first.
 *
 *   node dist/bench/cpuprofile.js CPU.xxx.cpuprofile [top=20]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Entry {
  name: string;
  selfMs: number;
  /** share of the busy (non-idle) time */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  functions: Entry[];
  modules: Entry[];
}

/** A short, stable location: package name, path inside the repo, or node:internal module. */
export function shortUrl(url: string): string {
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function moduleOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const short = shortUrl(url);
  if (url.includes('/node_modules/')) {
    const parts = short.split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (short.startsWith('node:')) return short.split('/').slice(0, 2).join('/');
  return short;
}

export function summarize(profile: Profile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const key = url ? `${name} ${shortUrl(url)}:${lineNumber + 1}` : name;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const mod = moduleOf(url, name);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  const busy = total - idle;
  const entries = (m: Map<string, number>): Entry[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, pct: (100 * us) / (busy || 1) }));
  return { totalMs: total / 1000, idleMs: idle / 1000, busyMs: busy / 1000, functions: entries(fns), modules: entries(mods) };
}

export function summarizeFile(path: string, top = 20): ProfileSummary {
  return summarize(JSON.parse(readFileSync(path, 'utf8')) as Profile, top);
}

export function formatSummary(title: string, s: ProfileSummary, rows = 12): string {
  const lines = [
    `#### ${title}`,
    '',
    `busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.totalMs / 1000).toFixed(1)} s sampled (${((100 * s.busyMs) / (s.totalMs || 1)).toFixed(0)}%)`,
    '',
    '| self % of busy | function (file:line) |',
    '|---:|---|',
    ...s.functions.slice(0, rows).map((e) => `| ${e.pct.toFixed(1)} | \`${e.name}\` |`),
    '',
    '| self % of busy | module |',
    '|---:|---|',
    ...s.modules.slice(0, 8).map((e) => `| ${e.pct.toFixed(1)} | \`${e.name}\` |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('cpuprofile.js') && process.argv[2]) {
  const s = summarizeFile(process.argv[2], Number(process.argv[3] ?? 20));
  console.log(formatSummary(process.argv[2], s, Number(process.argv[3] ?? 20)));
}
