import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { applyHeartbeat, EMPTY_PAIR, type PairState } from '../../src/shard/watch-rule.js';
import { main } from '../../scripts/simulator/main.js';

interface Faults {
  /** Chance a POST answers 503 without storing. */
  refuse: number;
  /** Chance a POST stores, then answers 503 anyway (as after an ack timeout). */
  storeThen503: number;
  /** A service bug: this user's seeks count as watching. */
  buggyUser?: string;
  /** Apply a request with an already applied Idempotency-Key only once. */
  dedupe?: boolean;
}

/**
 * A stand-in for the service in one process, on the service's own rule, with injected failures.
 * It also checks the simulator's promises: a user is never in two requests at once, and a request
 * never holds two events of a pair.
 */
async function fakeService(faults: Faults) {
  const pairs = new Map<string, Map<string, PairState>>();
  const users = new Map<string, number>();
  const movies = new Map<string, { watchTime: number; viewers: number }>();
  const inFlight = new Set<string>();
  const violations: string[] = [];
  const appliedKeys = new Set<string>();
  let posts = 0;

  const apply = (user: string, slug: string, at: number): void => {
    let up = pairs.get(user);
    if (!up) pairs.set(user, (up = new Map()));
    let m = movies.get(slug);
    if (!m) movies.set(slug, (m = { watchTime: 0, viewers: 0 }));
    const prev = up.get(slug) ?? EMPTY_PAIR;
    if (prev.events === 0) m.viewers++;
    const next = applyHeartbeat(prev, at, Date.now(), user === faults.buggyUser ? 1e9 : 60);
    up.set(slug, next);
    const gained = next.watchTime - prev.watchTime;
    users.set(user, (users.get(user) ?? 0) + gained);
    m.watchTime += gained;
  };

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '0' } : {}) });
      res.end(JSON.stringify(body));
    };
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const seg = path.split('/').slice(1).map(decodeURIComponent);
      if (req.method === 'GET' && path === '/readyz') return send(200, { status: 'ready' });
      if (req.method === 'POST' && path === '/events') {
        posts++;
        const body = JSON.parse(text) as unknown;
        const events = (Array.isArray(body) ? body : [body]) as { user: string; slug: string; at: number }[];
        const mine = new Set<string>();
        for (const e of events) {
          if (inFlight.has(e.user)) violations.push(`user ${e.user} in two requests at once`);
          if (mine.has(`${e.user}\0${e.slug}`)) violations.push(`pair ${e.user}/${e.slug} twice in one request`);
          mine.add(`${e.user}\0${e.slug}`);
          inFlight.add(e.user);
        }
        setTimeout(() => {
          for (const e of events) inFlight.delete(e.user);
          const r = Math.random();
          if (r < faults.refuse) return send(503, { error: 'unavailable' });
          const key = req.headers['idempotency-key'] as string | undefined;
          if (faults.dedupe && key && appliedKeys.has(key)) return send(200, { accepted: events.length });
          if (key) appliedKeys.add(key);
          for (const e of events) apply(e.user, e.slug, e.at);
          if (r < faults.refuse + faults.storeThen503) return send(503, { error: 'unavailable' });
          send(200, { accepted: events.length });
        }, Math.random() * 2);
        return;
      }
      if (seg[0] === 'users' && seg.length === 3 && seg[2] === 'watch-time') {
        const u = users.get(seg[1]!);
        return u === undefined ? send(404, { error: 'not_found' }) : send(200, { user: seg[1], watchTime: u, movies: pairs.get(seg[1]!)!.size });
      }
      if (seg[0] === 'movies' && seg.length === 3 && seg[2] === 'watch-time') {
        const m = movies.get(seg[1]!);
        return m === undefined ? send(404, { error: 'not_found' }) : send(200, { slug: seg[1], ...m });
      }
      if (seg[0] === 'users' && seg[2] === 'movies' && (seg.length === 4 || (seg.length === 5 && seg[4] === 'latest'))) {
        const p = pairs.get(seg[1]!)?.get(seg[3]!);
        if (!p) return send(404, { error: 'not_found' });
        const updatedAt = new Date(p.updatedAt).toISOString();
        return seg.length === 5
          ? send(200, { user: seg[1], slug: seg[3], at: p.at, updatedAt })
          : send(200, { user: seg[1], slug: seg[3], watchTime: p.watchTime, at: p.at, furthest: p.furthest, events: p.events, updatedAt });
      }
      send(404, { error: 'not_found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    violations,
    posts: () => posts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function simulate(args: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  err.resume();
  // The stand-in speaks contract v1 (no ts, catalogue or §5 reads): the dispatcher is what is tested here.
  const v1 = args.includes('--url') ? [...args, '--v1'] : args;
  const code = await main(v1, { out: out as unknown as NodeJS.WriteStream, err: err as unknown as NodeJS.WriteStream });
  return { code, out: text };
}

t.test('with retried 503s (some after storing), everything verifies and ordering holds', async (t) => {
  const svc = await fakeService({ refuse: 0.03, storeThen503: 0.03 });
  const { code, out } = await simulate([
    '--url',
    svc.url,
    '--viewers',
    '200',
    '--movies',
    '50',
    '--events',
    '6000',
    '--batch',
    '1-6',
    '--concurrency',
    '16',
    '--odd-names',
    '0.5',
    '--verify',
    '--max-attempts',
    '50',
  ]);
  t.equal(code, 0, out);
  t.match(out, /summary: sent 6000 events in \d+ requests, acked 6000, retried [1-9]\d*, failed 0/);
  t.match(out, /verify: checked \d+, mismatches 0 /);
  t.same(svc.violations, []);
  await svc.close();
});

t.test('Idempotency-Key: a deduplicating service counts no retry twice; without keys some are (and still verify)', async (t) => {
  const args = (url: string) => ['--url', url, '--viewers', '100', '--movies', '20', '--events', '3000', '--batch', '1-3', '--verify', '--max-attempts', '50'];
  const svc = await fakeService({ refuse: 0, storeThen503: 0.05, dedupe: true });
  const keyed = await simulate(args(svc.url));
  t.equal(keyed.code, 0, keyed.out);
  t.match(keyed.out, /verify: [1-9]\d* pairs had a retry after an attempt that may have been stored; 0 of them count that event twice/);
  await svc.close();
  const svc2 = await fakeService({ refuse: 0, storeThen503: 0.05, dedupe: true });
  const unkeyed = await simulate([...args(svc2.url), '--no-idempotency-key']);
  t.equal(unkeyed.code, 0, unkeyed.out);
  t.match(unkeyed.out, /verify: checked \d+, mismatches 0 /);
  t.match(unkeyed.out, /verify: [1-9]\d* pairs had a retry after an attempt that may have been stored; [1-9]\d* of them count that event twice/);
  await svc2.close();
});

t.test('a service that counts seeks is caught', async (t) => {
  const svc = await fakeService({ refuse: 0, storeThen503: 0, buggyUser: 'user-3@bug' });
  const { code, out } = await simulate([
    '--url',
    svc.url,
    '--viewers',
    '20',
    '--movies',
    '5',
    '--events',
    '3000',
    '--odd-names',
    '0',
    '--tag',
    'bug',
    '--seek',
    '0.2',
    '--verify',
  ]);
  t.equal(code, 1);
  t.match(out, /verify: checked \d+, mismatches [1-9]/);
  t.match(out, /mismatch: user "user-3@bug": watchTime expected/);
  t.match(out, /mismatch: pair "user-3@bug" \/ "movie-\d@bug": watchTime expected/);
  t.notMatch(out, /mismatch: user "user-2@bug"/);
  await svc.close();
});

t.test('--rate paces the sending', async (t) => {
  const svc = await fakeService({ refuse: 0, storeThen503: 0 });
  const started = performance.now();
  const { code } = await simulate(['--url', svc.url, '--events', '300', '--rate', '1000', '--viewers', '50']);
  const ms = performance.now() - started;
  t.equal(code, 0);
  t.ok(ms >= 250 && ms < 3000, `300 events at 1000/s took ${ms.toFixed(0)} ms`);
  await svc.close();
});

t.test('--duration bounds the run', async (t) => {
  const svc = await fakeService({ refuse: 0, storeThen503: 0 });
  const started = performance.now();
  const { code, out } = await simulate(['--url', svc.url, '--duration', '0.5', '--viewers', '50', '--concurrency', '4']);
  t.equal(code, 0);
  t.ok(performance.now() - started < 3000);
  t.match(out, /acked [1-9]\d*/);
  await svc.close();
});

t.test('a service that is down: clear error, non-zero exit, no hang', async (t) => {
  const svc = await fakeService({ refuse: 0, storeThen503: 0 });
  const url = svc.url;
  await svc.close();
  const { code } = await simulate(['--url', url, '--wait-ready', '0.3']);
  t.equal(code, 1);
});

t.test('bad options: exit 2', async (t) => {
  t.equal((await simulate(['--batch', '0'])).code, 2);
  t.equal((await simulate(['--help'])).code, 0);
});
