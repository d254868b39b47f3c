import { Agent, request } from 'node:http';
import { sleep } from './service.js';

/** Deterministic names: the same index gives the same user/slug in every run and every file. */
export const userName = (u: number): string => `user-${String(u).padStart(7, '0')}`;
export const slugName = (m: number): string => `movie-${String(m).padStart(5, '0')}`;

/**
 * The pairs of the memory and recovery datasets: pair p belongs to user p/perUser (so 1M pairs
 * are 100k users with 10 movies each) and its slug is spread over `movies` movies, distinct
 * within a user as long as perUser <= movies / stride.
 */
export function pairNames(p: number, perUser = 10, movies = 10_000): [string, string] {
  const u = Math.floor(p / perUser);
  const stride = Math.floor(movies / perUser);
  return [userName(u), slugName((u + (p % perUser) * stride) % movies)];
}

export const eventJson = (user: string, slug: string, at: number): string => `{"user":"${user}","slug":"${slug}","at":${at}}`;

function post(agent: Agent, port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/events',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

export interface LoadResult {
  events: number;
  ms: number;
  eventsPerS: number;
}

/**
 * Sends events 0..total-1 (`event(i)` gives each one's JSON) as `batch`-event POSTs on
 * `concurrency` keep-alive connections, and checks every answer is 200 with the right count
 * (a 503 is retried). Loading is not a measured figure: it prepares state for memory, recovery
 * and query runs, so a Node client is fine here.
 */
export async function load(port: number, total: number, event: (i: number) => string, batch = 1000, concurrency = 4): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const from = next;
      if (from >= total) return;
      const to = Math.min(total, from + batch);
      next = to;
      const parts: string[] = new Array<string>(to - from);
      for (let i = from; i < to; i++) parts[i - from] = event(i);
      const body = `[${parts.join(',')}]`;
      for (let attempt = 0; ; attempt++) {
        const r = await post(agent, port, body);
        if (r.status === 200) {
          const accepted = (JSON.parse(r.text) as { accepted: number }).accepted;
          if (accepted !== to - from) throw new Error(`load: accepted ${accepted} of ${to - from}`);
          break;
        }
        if (r.status !== 503 || attempt > 50) throw new Error(`load: POST /events answered ${r.status}: ${r.text.slice(0, 300)}`);
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  const ms = performance.now() - t0;
  return { events: total, ms, eventsPerS: total / (ms / 1000) };
}
