import type { LoadStats } from './load.js';
import type { Verification } from './verify.js';

/**
 * What makes a chaos run fail and how its report reads, for one service and for a cluster alike:
 * every acknowledged event counted once, live and after everything was killed and restarted.
 */
export function loadProblems(live: Verification, afterRestart: Verification, s: LoadStats, graceMs: number): string[] {
  const problems: string[] = [];
  if (live.lost > 0 || afterRestart.lost > 0) problems.push(`lost events: ${live.lost} live, ${afterRestart.lost} after restart`);
  if (live.doubled > 0 || afterRestart.doubled > 0) problems.push(`double-counted events: ${live.doubled} live, ${afterRestart.doubled} after restart`);
  if (live.mismatches.length > 0) problems.push(`${live.mismatches.length} mismatches live`);
  if (afterRestart.mismatches.length > 0) problems.push(`${afterRestart.mismatches.length} mismatches after restart`);
  if (s.unresolved > 0) problems.push(`${s.unresolved} requests never acknowledged within ${graceMs / 1000} s after the run`);
  if (s.noRetryAfter > 0) problems.push(`${s.noRetryAfter} 503 answers without Retry-After`);
  for (const [kind, n] of s.errors) if (kind.startsWith('HTTP ') || kind.startsWith('200 ')) problems.push(`${n} unexpected answers: ${kind}`);
  return problems;
}

export function requestsLine(s: LoadStats): string {
  const errors = [...s.errors].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
  return `requests: ${s.acknowledged} acknowledged (${s.events} events), ${s.attempts} attempts, 503 ${s.unavailable} (without Retry-After ${s.noRetryAfter}), other errors ${errors.length > 0 ? errors.join(', ') : 0}, unresolved ${s.unresolved}`;
}

export const verificationLine = (name: string, v: Verification): string =>
  `${name}: ${v.pairs} pairs, ${v.users} users, ${v.movies} movies checked: lost ${v.lost}, double-counted ${v.doubled}, mismatches ${v.mismatches.length}`;

/** The report's last lines: the totals, some mismatches and samples, and the result. */
export function closingLines(r: { live: Verification; afterRestart: Verification; load: LoadStats; problems: string[] }): string[] {
  const lines = [`lost: ${Math.max(r.live.lost, r.afterRestart.lost)}, double-counted: ${Math.max(r.live.doubled, r.afterRestart.doubled)}`];
  for (const line of [...new Set([...r.live.mismatches, ...r.afterRestart.mismatches])].slice(0, 15)) lines.push(`  mismatch: ${line}`);
  for (const sample of r.load.samples) lines.push(`  sample: ${sample}`);
  lines.push(r.problems.length === 0 ? 'result: PASS' : `result: FAIL (${r.problems.join('; ')})`);
  return lines;
}
