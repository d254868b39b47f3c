import { parseArgs } from 'node:util';
import type { DispatchOptions } from './dispatcher.js';
import { DEFAULT_INSIGHTS, type InsightsConfig } from '../../src/shard/insights/progress.js';
import { DEFAULT_BEHAVIOUR, type Behaviour } from './viewers.js';

export interface Options extends DispatchOptions {
  url: string;
  viewers: number;
  movies: number;
  verify: boolean;
  /** Send an Idempotency-Key with every request (the same on its retries). */
  idempotencyKeys: boolean;
  behaviour: Behaviour;
  /** The service's COMPLETE_RATIO, RESUME_MIN_RATIO, RETENTION_BUCKET_S. */
  insights: InsightsConfig;
  /** Nothing else sends events to the service during the run: the overall series is compared exactly. */
  exclusive: boolean;
  /** Plain v1 traffic and checks: no ts, no catalogue, no §5 reads (for a service without insights). */
  v1: boolean;
  zipf: number;
  oddNames: number;
  /** Appended to every name; '' for none. Undefined: a random one. */
  tag: string | undefined;
  timeoutMs: number;
  maxAttempts: number;
  retryForMs: number;
  waitReadyMs: number;
  progressEveryMs: number;
  /** From the environment, as the service reads them: INGEST_TOKEN for POSTs, QUERY_TOKEN for queries. */
  ingestToken: string | undefined;
  queryToken: string | undefined;
  help: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run simulate -- [options]

Simulates viewers watching movies and POSTs their heartbeats to the watch-time service, keeping an
exact oracle of CONTRACT §3 and §5 over the acknowledged events; --verify then reads everything
back. The movie catalogue is PUT first (10 % of movies only after the events, 5 % first with a
wrong duration and corrected after, 5 % never).

  --url URL[,URL...]   service base URL; several (hosts of a cluster): requests spread over them [http://localhost:8000]
  --viewers N          simulated viewers (users)                                        [1000]
  --movies N           movies (slugs), popularity Zipf-distributed                       [200]
  --events N           stop after N events                  [100000, unless --duration given]
  --duration S         stop after S seconds (with --events: whichever comes first)
  --rate R             events per second; 0 = as fast as the service acknowledges          [0]
  --concurrency N      requests in flight, one per keep-alive connection                  [32]
  --batch N | A-B      events per request (1 = single event), or uniform in A..B           [1]
  --seed N             seed of every random choice except retry jitter                     [1]
  --verify             read back every user, movie and pair, retention curves, series and
                       continue-watching lists; exit 1 on any mismatch
  --exclusive          nothing else sends events meanwhile: compare GET /series exactly
                       (else: at least this run's events)
  --v1                 contract v1 only: no ts, no catalogue PUTs, no §5 checks
  --no-idempotency-key do not send an Idempotency-Key (same on each retry) with requests
  --interval S         seconds of playback between heartbeats                             [10]
  --max-step S         the service's WATCH_MAX_STEP                [$WATCH_MAX_STEP or 60]
  --pause P --seek P --rewind P --exact-step P --switch P --stop P
                       per-heartbeat chances                [0.05 0.02 0.02 0.005 0.01 0.01]
  --fractional P       share of sessions with fractional positions                       [0.3]
  --ts P               share of sessions whose heartbeats carry the client time ts        [0.5]
  --late P --repeat P  per heartbeat of a ts session: chance it arrives 1..3 heartbeats late,
                       or arrives again 1..3 heartbeats later                     [0.03 0.02]
  --complete-ratio R --resume-min-ratio R --bucket S
                       the service's COMPLETE_RATIO, RESUME_MIN_RATIO, RETENTION_BUCKET_S
                       [$COMPLETE_RATIO or 0.9, $RESUME_MIN_RATIO or 0.05, $RETENTION_BUCKET_S or 30]
  --zipf S             Zipf exponent of movie popularity                                   [1]
  --odd-names P        share of names with unicode, spaces, '/', '%', ...                 [0.2]
  --tag T              suffix '@T' on every name (keeps runs apart)      [random; '' = none]
  --timeout S          per-request timeout                                                [30]
  --max-attempts N     attempts per request before giving up                               [12]
  --retry-for S        no retry starts later than S after the first attempt               [60]
  --wait-ready S       wait up to S for GET /readyz = 200 before sending                  [60]
  --progress-every S   progress line interval when not on a TTY                            [5]
  -h, --help

Environment: WATCH_MAX_STEP, COMPLETE_RATIO, RESUME_MIN_RATIO, RETENTION_BUCKET_S (defaults of
the options above); INGEST_TOKEN and QUERY_TOKEN, when the
service requires them, are sent as "Authorization: Bearer ..." with POSTs and GETs.`;

export function parseOptions(argv: string[], env: Record<string, string | undefined> = process.env): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        viewers: { type: 'string' },
        movies: { type: 'string' },
        events: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        batch: { type: 'string' },
        seed: { type: 'string' },
        verify: { type: 'boolean' },
        'no-idempotency-key': { type: 'boolean' },
        interval: { type: 'string' },
        'max-step': { type: 'string' },
        pause: { type: 'string' },
        seek: { type: 'string' },
        rewind: { type: 'string' },
        'exact-step': { type: 'string' },
        switch: { type: 'string' },
        stop: { type: 'string' },
        fractional: { type: 'string' },
        ts: { type: 'string' },
        late: { type: 'string' },
        repeat: { type: 'string' },
        'complete-ratio': { type: 'string' },
        'resume-min-ratio': { type: 'string' },
        bucket: { type: 'string' },
        exclusive: { type: 'boolean' },
        v1: { type: 'boolean' },
        zipf: { type: 'string' },
        'odd-names': { type: 'string' },
        tag: { type: 'string' },
        timeout: { type: 'string' },
        'max-attempts': { type: 'string' },
        'retry-for': { type: 'string' },
        'wait-ready': { type: 'string' },
        'progress-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const int = (name: keyof typeof v, fallback: number, min: number, max = 1e12): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return Number(raw);
  };
  const num = (name: keyof typeof v, fallback: number, min: number, max = Number.MAX_VALUE): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const chance = (name: keyof typeof v, fallback: number): number => num(name, fallback, 0, 1);

  const batch = v.batch ?? '1';
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(batch);
  const batchMin = m ? Number(m[1]) : NaN;
  const batchMax = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(batchMin >= 1 && batchMax >= batchMin && batchMax <= 100_000))
    throw new UsageError(`--batch must be N or A-B with 1 <= A <= B, got ${JSON.stringify(batch)}`);

  const fromEnv = (name: string, fallback: number): number => {
    const raw = env[name];
    return raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : fallback;
  };
  const defaultStep = fromEnv('WATCH_MAX_STEP', DEFAULT_BEHAVIOUR.maxStep);
  const behaviour: Behaviour = {
    interval: num('interval', DEFAULT_BEHAVIOUR.interval, 0),
    maxStep: num('max-step', defaultStep, 0),
    pause: chance('pause', DEFAULT_BEHAVIOUR.pause),
    seek: chance('seek', DEFAULT_BEHAVIOUR.seek),
    rewind: chance('rewind', DEFAULT_BEHAVIOUR.rewind),
    exactStep: chance('exact-step', DEFAULT_BEHAVIOUR.exactStep),
    switchMovie: chance('switch', DEFAULT_BEHAVIOUR.switchMovie),
    stop: chance('stop', DEFAULT_BEHAVIOUR.stop),
    fractional: chance('fractional', DEFAULT_BEHAVIOUR.fractional),
    resume: DEFAULT_BEHAVIOUR.resume,
    ts: v.v1 ? 0 : chance('ts', DEFAULT_BEHAVIOUR.ts),
    late: chance('late', DEFAULT_BEHAVIOUR.late),
    repeat: chance('repeat', DEFAULT_BEHAVIOUR.repeat),
  };
  if (behaviour.late + behaviour.repeat > 1) throw new UsageError(`--late and --repeat add up to ${behaviour.late + behaviour.repeat}, more than 1`);
  const insights: InsightsConfig = {
    completeRatio: num('complete-ratio', fromEnv('COMPLETE_RATIO', DEFAULT_INSIGHTS.completeRatio), 0, 1),
    resumeMinRatio: num('resume-min-ratio', fromEnv('RESUME_MIN_RATIO', DEFAULT_INSIGHTS.resumeMinRatio), 0, 1),
    retentionBucketS: int('bucket', fromEnv('RETENTION_BUCKET_S', DEFAULT_INSIGHTS.retentionBucketS), 1, 86_400),
  };
  const total = behaviour.pause + behaviour.seek + behaviour.rewind + behaviour.exactStep + behaviour.switchMovie + behaviour.stop;
  if (total > 1) throw new UsageError(`--pause, --seek, --rewind, --exact-step, --switch and --stop add up to ${total}, more than 1`);

  const durationS = v.duration === undefined ? null : num('duration', 0, 0.001);
  const events = v.events === undefined ? (durationS === null ? 100_000 : null) : int('events', 0, 1);
  const tag = v.tag;
  if (tag !== undefined && !/^[A-Za-z0-9_-]{0,32}$/.test(tag)) throw new UsageError(`--tag must be up to 32 of A-Z a-z 0-9 _ -, got ${JSON.stringify(tag)}`);
  const url = v.url ?? 'http://localhost:8000';
  // Several hosts of a cluster: comma-separated, requests spread over them.
  for (const one of url.split(',')) {
    try {
      if (new URL(one).protocol !== 'http:') throw new Error();
    } catch {
      throw new UsageError(`--url must be an http:// URL (or several, comma-separated), got ${JSON.stringify(url)}`);
    }
  }

  return {
    url,
    viewers: int('viewers', 1000, 1, 10_000_000),
    movies: int('movies', 200, 1, 10_000_000),
    events,
    durationMs: durationS === null ? null : durationS * 1000,
    rate: num('rate', 0, 0),
    concurrency: int('concurrency', 32, 1, 10_000),
    batchMin,
    batchMax,
    seed: int('seed', 1, 0, 0xffffffff),
    verify: v.verify ?? false,
    idempotencyKeys: !(v['no-idempotency-key'] ?? false),
    behaviour,
    insights,
    exclusive: v.exclusive ?? false,
    v1: v.v1 ?? false,
    zipf: num('zipf', 1, 0, 10),
    oddNames: chance('odd-names', 0.2),
    tag,
    timeoutMs: num('timeout', 30, 0.001) * 1000,
    maxAttempts: int('max-attempts', 12, 1, 1000),
    retryForMs: num('retry-for', 60, 0) * 1000,
    waitReadyMs: num('wait-ready', 60, 0) * 1000,
    progressEveryMs: num('progress-every', 5, 0.1) * 1000,
    ingestToken: env.INGEST_TOKEN || undefined,
    queryToken: env.QUERY_TOKEN || undefined,
    help: v.help ?? false,
  };
}
