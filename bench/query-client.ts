/**
 * The query side of query-under-load: a small Node client (its own process, so the bench's
 * timers do not disturb it) that sends user, pair, movie and top-10 GETs at a fixed, low rate,
 * one keep-alive connection and one request at a time per kind, and prints the latencies'
 * percentiles as one JSON line. Latency includes this client's own HTTP parsing (~0.1 ms).
 *
 *   node dist/bench/query-client.js '{"port":8000,"seconds":8,"ratePerKind":200,"users":30000,"perUser":10,"movies":100000}'
 */
import { Agent, request } from 'node:http';
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

export type QueryClientResult = Record<'user' | 'pair' | 'movie' | 'top10', KindResult>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end();
  });
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
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const gap = 1000 / c.ratePerKind;
  const end = performance.now() + c.seconds * 1000;
  let due = performance.now();
  while (performance.now() < end) {
    const p = path();
    const t = performance.now();
    const status = await get(agent, c.port, p);
    latencies.push(performance.now() - t);
    if (status !== 200) errors++;
    due += gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else due = performance.now();
  }
  agent.destroy();
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
  const [user, pairR, movie, top10] = await Promise.all([
    kind(c, () => `/users/${userName(rand(c.users))}/watch-time`),
    kind(c, () => {
      const [u, s] = pair();
      return `/users/${u}/movies/${s}`;
    }),
    kind(c, () => `/movies/${slugName(rand(c.movies))}/watch-time`),
    kind(c, () => '/movies/top?limit=10'),
  ]);
  return { user: user!, pair: pairR!, movie: movie!, top10: top10! };
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
