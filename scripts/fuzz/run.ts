import { Cluster, type App } from '../chaos/cluster.js';
import { Client } from '../chaos/http.js';
import { Oracle } from '../chaos/oracle.js';
import { verify, type Verification } from '../chaos/verify.js';
import { Rng } from '../simulator/random.js';
import { OK_KEYS, wellFormed } from './contract.js';
import { Generator, SLUGS, USERS, type Case } from './generate.js';
import { header, RawConnection, type Outcome } from './raw-http.js';

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** Connections sending at once (one of them carries every storable request, in order). */
  concurrency: number;
  /** An answer to a well-formed request must come within this (ms). */
  timeoutMs: number;
  /** How long a protocol-violating request may go unanswered before the client gives up (ms). */
  protocolWaitMs: number;
  log: (line: string) => void;
  /** Progress every N requests (0: none). */
  progressEvery: number;
}

export const FUZZ_DEFAULTS: Omit<FuzzOptions, 'log'> = {
  requests: 5000,
  seed: 1,
  concurrency: 8,
  timeoutMs: 10_000,
  protocolWaitMs: 1000,
  progressEvery: 0,
};

export interface Violation {
  count: number;
  example: string;
}

export interface FuzzResult {
  options: Omit<FuzzOptions, 'log'>;
  elapsedS: number;
  sent: number;
  byCategory: Map<string, number>;
  byStatus: Map<string, number>;
  /** Protocol-violating requests: what the HTTP layer did with them. */
  protocol: Map<string, number>;
  violations: Map<string, Violation>;
  /** Well-formed requests without an answer within timeoutMs. */
  hangs: number;
  slowestMs: number;
  slowestWhat: string;
  /** Storable requests answered 200 (their events) and refused. */
  stored: { requests: number; events: number; maybeStored: number; maybeRefused: number; retries: number };
  /** Processes that died or were restarted during the run. */
  crashes: string[];
  before: Verification;
  after: Verification;
  problems: string[];
  outputTail: string;
}

/**
 * The fuzz run: a fresh service, a seeded state checked exactly, then `requests` random and
 * mutated requests from `concurrency` raw connections. Every answer is checked against the
 * contract; the storable ones go through one connection in order, so an exact oracle follows
 * them; at the end no process may have died and the state must equal the oracle.
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const { log, ...options } = o;
  const started = Date.now();
  const limits = { maxBodyBytes: 1_048_576, maxBatch: 1000 };
  const cluster = await Cluster.start(2, { MAX_BODY_BYTES: String(limits.maxBodyBytes), MAX_BATCH: String(limits.maxBatch), WATCH_MAX_STEP: '60' });
  const client = new Client(cluster.port, 16, 30_000);
  const result: FuzzResult = {
    options,
    elapsedS: 0,
    sent: 0,
    byCategory: new Map(),
    byStatus: new Map(),
    protocol: new Map(),
    violations: new Map(),
    hangs: 0,
    slowestMs: 0,
    slowestWhat: '',
    stored: { requests: 0, events: 0, maybeStored: 0, maybeRefused: 0, retries: 0 },
    crashes: [],
    before: { pairs: 0, users: 0, movies: 0, lost: 0, doubled: 0, mismatches: [] },
    after: { pairs: 0, users: 0, movies: 0, lost: 0, doubled: 0, mismatches: [] },
    problems: [],
    outputTail: '',
  };
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const violation = (c: Case, problem: string, outcome: string): void => {
    const key = `${c.category}: ${problem}`;
    const v = result.violations.get(key);
    if (v) v.count++;
    else result.violations.set(key, { count: 1, example: `#${c.index} ${c.what.slice(0, 160)} -> ${outcome.slice(0, 240)}` });
  };

  try {
    const oracle = new Oracle(60);
    const runId = `${o.seed}-${started}`;
    const storeLane = new RawConnection(cluster.port);

    /** Sends a storable case until it has a definite answer; a 200 goes into the oracle. */
    const store = async (c: Case): Promise<Outcome> => {
      for (let attempt = 0; ; attempt++) {
        const sentAt = Date.now();
        const out = await storeLane.exchange(c.bytes, { head: false, timeoutMs: o.timeoutMs });
        if (out.kind === 'answer' && out.answer.status === 200) {
          oracle.acknowledge(c.events, sentAt, Date.now());
          result.stored.requests++;
          result.stored.events += c.events.length;
          if (c.store === 'maybe') result.stored.maybeStored++;
          return out;
        }
        const unclear = out.kind !== 'answer' || out.answer.status === 503;
        if (!unclear) {
          if (c.store === 'maybe') result.stored.maybeRefused++;
          return out;
        }
        if (!c.keyed || attempt >= 10) {
          violation(c, 'storable request without a definite answer (its events may or may not be stored)', describe(out));
          return out;
        }
        result.stored.retries++;
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    };

    // A known state before the fuzz, checked exactly.
    const seedRng = new Rng(o.seed, 99);
    for (let k = 0; k < 40; k++) {
      const e = { user: seedRng.pick(USERS), slug: seedRng.pick(SLUGS), at: seedRng.int(10_000) };
      const body = Buffer.from(JSON.stringify(e));
      const bytes = Buffer.concat([
        Buffer.from(
          `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: seed-${runId}-${k}\r\nContent-Length: ${body.length}\r\n\r\n`,
        ),
        body,
      ]);
      await store({
        index: -1,
        category: 'seed',
        what: 'seed event',
        method: 'POST',
        bytes,
        statuses: [200],
        store: 'valid',
        events: [e],
        keyed: true,
        fresh: false,
      });
    }
    result.before = await verify(client, oracle, 8, true);
    const appsBefore = await cluster.apps();

    const gen = new Generator(o.seed, limits, runId);
    const queue: Case[] = [];
    let issued = 0;
    let finished = false;

    const check = (c: Case, out: Outcome, conn?: RawConnection): void => {
      result.sent++;
      bump(result.byCategory, c.category);
      if (c.statuses === null) {
        // HTTP-level garbage: the HTTP layer may refuse it its own way or wait for more; only an
        // answer from the application (JSON) is held to the contract.
        const what = out.kind === 'answer' ? `${c.what}: HTTP ${out.answer.status}${out.answer.extra > 0 ? ' + more bytes' : ''}` : `${c.what}: ${out.kind}`;
        bump(result.protocol, what);
        if (out.kind === 'answer' && /json/.test(header(out.answer, 'content-type') ?? '')) {
          const problems: string[] = [];
          wellFormed(out.answer, c.method === 'HEAD', problems);
          for (const p of problems.filter((p) => !p.includes('bytes after the end'))) violation(c, p, describe(out));
        }
        return;
      }
      if (out.kind !== 'answer') {
        if (out.kind === 'timeout') result.hangs++;
        const lost413 = out.kind === 'closed' && c.statuses.includes(413) && c.bytes.length > limits.maxBodyBytes;
        const problem = lost413 ? 'no answer (closed): the 413 was lost, the server closed the connection with the body unread' : `no answer (${out.kind})`;
        violation(c, problem, `${describe(out)}${conn?.previous ? ` (after ${JSON.stringify(conn.previous)} on the same connection)` : ''}`);
        return;
      }
      if (out.ms > result.slowestMs) {
        result.slowestMs = out.ms;
        result.slowestWhat = c.what.slice(0, 120);
      }
      const a = out.answer;
      bump(result.byStatus, String(a.status));
      const problems: string[] = [];
      const body = wellFormed(a, c.method === 'HEAD', problems);
      if (!c.statuses.includes(a.status)) problems.push(`status ${a.status}, expected ${c.statuses.join(' or ')}`);
      const code = (body as { error?: unknown } | undefined)?.error;
      if (a.status >= 400 && c.codes && typeof code === 'string' && !c.codes.includes(code)) problems.push(`error ${code}, expected ${c.codes.join(' or ')}`);
      if (a.status === 200 && body !== undefined && c.route) {
        const keys = OK_KEYS[`${c.method} ${c.route.replace(/:[a-z]+/g, ':')}`];
        const got = body as Record<string, unknown>;
        if (keys && !keys.every((k) => Object.hasOwn(got, k))) problems.push(`200 body without ${keys.filter((k) => !Object.hasOwn(got, k)).join(', ')}`);
        if (c.method === 'POST' && got.accepted !== c.events.length) problems.push(`accepted ${JSON.stringify(got.accepted)} for ${c.events.length} events`);
      }
      for (const p of problems) violation(c, p, describe(out));
    };

    const lane = async (): Promise<void> => {
      const conn = new RawConnection(cluster.port);
      try {
        while (issued < o.requests) {
          while (queue.length > 64) await new Promise((r) => setTimeout(r, 5));
          if (issued >= o.requests) break;
          const c = gen.next();
          issued++;
          if (o.progressEvery > 0 && issued % o.progressEvery === 0) log(`fuzz: ${issued}/${o.requests} requests issued`);
          if (c.store !== 'none') {
            queue.push(c);
            continue;
          }
          const own = c.fresh ? new RawConnection(cluster.port) : conn;
          const out = await own.exchange(c.bytes, { head: c.method === 'HEAD', timeoutMs: c.statuses === null ? o.protocolWaitMs : o.timeoutMs });
          if (c.fresh) own.close();
          check(c, out, own);
        }
      } finally {
        conn.close();
      }
    };
    const storer = async (): Promise<void> => {
      while (!finished || queue.length > 0) {
        const c = queue.shift();
        if (!c) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        check(c, await store(c), storeLane);
      }
      storeLane.close();
    };
    const storing = storer();
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency - 1) }, lane));
    finished = true;
    await storing;
    for (const [k, n] of gen.counts) result.byCategory.set(k, n);

    const appsAfter = await cluster.apps();
    result.crashes = compareApps(appsBefore, appsAfter);
    result.after = await verify(client, oracle, 8, true);

    const p = result.problems;
    if (result.before.mismatches.length > 0) p.push(`the seeded state did not verify (${result.before.mismatches.length} mismatches)`);
    if (result.crashes.length > 0) p.push(`crashes: ${result.crashes.join('; ')}`);
    if (result.hangs > 0) p.push(`${result.hangs} requests unanswered within ${o.timeoutMs} ms`);
    const violations = [...result.violations.values()].reduce((n, v) => n + v.count, 0);
    if (violations > 0) p.push(`${violations} contract violations`);
    if (result.after.mismatches.length > 0)
      p.push(`state after the fuzz differs from the state before plus the valid events (${result.after.mismatches.length} mismatches)`);
    if (p.length > 0) result.outputTail = cluster.output.split('\n').slice(-30).join('\n');
    return result;
  } finally {
    result.elapsedS = (Date.now() - started) / 1000;
    client.close();
    await cluster.dispose();
  }
}

function describe(out: Outcome): string {
  if (out.kind !== 'answer')
    return `${out.kind} after ${out.ms.toFixed(0)} ms${'partial' in out && out.partial ? `: ${JSON.stringify(out.partial.slice(0, 100))}` : ''}${out.kind === 'malformed' ? ` (${out.why})` : ''}`;
  const a = out.answer;
  return `${a.status} ${a.body.toString('utf8').slice(0, 200)}${a.extra > 0 ? ` [+${a.extra} bytes after the response]` : ''}`;
}

function compareApps(before: App[], after: App[]): string[] {
  const out: string[] = [];
  for (const b of before) {
    const a = after.find((x) => x.name === b.name && x.instance === b.instance);
    if (!a) out.push(`${b.name} ${b.instance} is gone`);
    else if (a.pid !== b.pid || a.restarts !== b.restarts)
      out.push(`${b.name} ${b.instance}: pid ${b.pid} -> ${a.pid}, restarts ${b.restarts} -> ${a.restarts}`);
  }
  return out;
}

export function formatFuzz(r: FuzzResult): string[] {
  const o = r.options;
  const sorted = (m: Map<string, number>): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  const lines = [
    `fuzz: ${r.sent} requests (of ${o.requests}), seed ${o.seed}, ${o.concurrency} connections, ${r.elapsedS.toFixed(1)} s`,
    `by category: ${sorted(r.byCategory)}`,
    `answers: ${sorted(r.byStatus)}; slowest ${r.slowestMs.toFixed(0)} ms (${r.slowestWhat}); unanswered ${r.hangs}`,
    `stored: ${r.stored.requests} requests (${r.stored.events} events) acknowledged, undecided cases stored ${r.stored.maybeStored} / refused ${r.stored.maybeRefused}, retries ${r.stored.retries}`,
    `processes: ${r.crashes.length === 0 ? 'no crash, no restart, same pids' : r.crashes.join('; ')}`,
    `state before: ${r.before.pairs} pairs, ${r.before.users} users, ${r.before.movies} movies, mismatches ${r.before.mismatches.length}`,
    `state after: ${r.after.pairs} pairs, ${r.after.users} users, ${r.after.movies} movies; lost ${r.after.lost}, double-counted ${r.after.doubled}, mismatches ${r.after.mismatches.length}`,
  ];
  for (const m of r.after.mismatches.slice(0, 10)) lines.push(`  mismatch: ${m}`);
  lines.push(`violations: ${r.violations.size === 0 ? 'none' : ''}`);
  for (const [k, v] of [...r.violations].sort((a, b) => b[1].count - a[1].count)) lines.push(`  ${v.count} x ${k}\n      e.g. ${v.example}`);
  lines.push(`protocol-level cases (not held to the contract): ${sorted(r.protocol) || 'none'}`);
  lines.push(r.problems.length === 0 ? 'result: PASS' : `result: FAIL (${r.problems.join('; ')})`);
  return lines;
}
