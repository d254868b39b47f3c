/**
 * The query side of query-under-load: a small Node client (its own process, so the bench's
 * timers do not disturb it) that sends user, pair, movie, top-10, retention (§5.3, merged from
 * every shard) and continue-watching (§5.2, one shard) GETs at a fixed, low rate,
 * one keep-alive connection and one request at a time per kind, and prints the latencies'
 * percentiles as one JSON line. It speaks just enough HTTP/1.1 over one keep-alive socket per
 * kind (status line, Content-Length): node:http's client added ~0.5 ms to every measurement here.
 *
 *   node dist/bench/query-client.js '{"port":8000,"seconds":8,"ratePerKind":200,"users":30000,"perUser":10,"movies":100000}'
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pairNames, slugName, userName } from './load.js';
import { percentile } from './stats.js';

export interface QueryClientConfig {
  port: number;
  seconds: number;
  /** requests/s of each kind */
  ratePerKind: number;
  /** the preloaded dataset (see pairNames): users, pairs per user, movies */
  users: number;
  perUser: number;
  movies: number;
}

export interface KindResult {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export const QUERY_KINDS = ['user', 'pair', 'movie', 'top10', 'retention', 'continueWatching'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];
export type QueryClientResult = Record<QueryKind, KindResult>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One keep-alive connection that sends a GET and resolves with the status once the whole answer is in. */
class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { ok: (status: number) => void; fail: (err: Error) => void } | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.answer();
    });
    const fail = (err: Error): void => {
      const w = this.waiting;
      this.waiting = null;
      w?.fail(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number): Promise<Connection> {
    return new Promise((ok, fail) => {
      const socket = connect(port, '127.0.0.1', () => ok(new Connection(socket)));
      socket.setNoDelay(true);
      socket.once('error', fail);
    });
  }

  get(path: string): Promise<number> {
    return new Promise((ok, fail) => {
      this.waiting = { ok, fail };
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
  }

  private answer(): void {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffered.length < end + 4 + length) return;
    this.buffered = this.buffered.subarray(end + 4 + length);
    const w = this.waiting;
    this.waiting = null;
    w.ok(Number(head.slice(9, 12)));
  }

  close(): void {
    this.socket.destroy();
  }
}

// Deterministic pseudo-random picks (xorshift32), the same sequence every run.
let seed = 0x2545f491;
function rand(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

async function kind(c: QueryClientConfig, path: () => string): Promise<KindResult> {
  const connection = await Connection.open(c.port);
  const latencies: number[] = [];
  let errors = 0;
  const gap = 1000 / c.ratePerKind;
  const end = performance.now() + c.seconds * 1000;
  let due = performance.now();
  while (performance.now() < end) {
    const p = path();
    const t = performance.now();
    const status = await connection.get(p);
    latencies.push(performance.now() - t);
    if (status !== 200) errors++;
    due += gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else due = performance.now();
  }
  connection.close();
  return {
    requests: latencies.length,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
  };
}

export async function runQueries(c: QueryClientConfig): Promise<QueryClientResult> {
  const pair = (): [string, string] => pairNames(rand(c.users * c.perUser), c.perUser, c.movies);
  const [user, pairR, movie, top10, retention, continueWatching] = await Promise.all([
    kind(c, () => `/users/${userName(rand(c.users))}/watch-time`),
    kind(c, () => {
      const [u, s] = pair();
      return `/users/${u}/movies/${s}`;
    }),
    kind(c, () => `/movies/${slugName(rand(c.movies))}/watch-time`),
    kind(c, () => '/movies/top?limit=10'),
    kind(c, () => `/movies/${pair()[1]}/retention`), // a movie with viewers (every preloaded pair's is)
    kind(c, () => `/users/${userName(rand(c.users))}/continue-watching`),
  ]);
  return { user: user, pair: pairR, movie: movie, top10: top10, retention: retention, continueWatching: continueWatching };
}

/** This file as its own process (so the caller's timers do not disturb it), with `config`; resolves with its result. */
export function runQueryClient(config: QueryClientConfig): Promise<QueryClientResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(config)], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (config.seconds + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const m = /QUERY_JSON (\{.*\})/.exec(text);
      if (code !== 0 || !m) fail(new Error(`query client exited ${code}: ${text}`));
      else ok(JSON.parse(m[1]!) as QueryClientResult);
    });
  });
}

if (process.argv[1]?.endsWith('query-client.js') && process.argv[2]) {
  const config = JSON.parse(process.argv[2]) as QueryClientConfig;
  runQueries(config).then(
    (r) => console.log(`QUERY_JSON ${JSON.stringify(r)}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
