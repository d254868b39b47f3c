import { readFileSync } from 'node:fs';
import t from 'tap';
import { Client, type Reply } from '../../scripts/chaos/http.js';
import { shardOf } from '../../src/hash.js';
import { Service, sleep } from '../helpers/service.js';

/** Resident set size of a process, in bytes (Linux /proc). */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
const MB = 1024 * 1024;

t.test('a stalled shard: bounded in-flight, quick 503s, the other shard unaffected, recovery after SIGCONT', async (t) => {
  const ackTimeoutMs = 2000;
  const svc = await Service.start({ shards: 2, env: { MAX_INFLIGHT_EVENTS: '200', ACK_TIMEOUT_MS: String(ackTimeoutMs) } });
  t.teardown(() => svc.dispose().then(() => svc.removeData()));
  const names = Array.from({ length: 400 }, (_, i) => `viewer-${i}-${'p'.repeat(64)}`);
  const stalledUsers = names.filter((u) => shardOf(u, 2) === 0);
  const otherUsers = names.filter((u) => shardOf(u, 2) === 1).slice(0, 8);
  const [front] = await svc.pids('wt-front');
  const [stalled] = await svc.pids('wt-shard');
  const client = new Client(svc.port, 40, 30_000);
  t.teardown(() => client.close());

  // Warm up both shards, then let the front's memory settle.
  const warm: number[] = [];
  for (const u of [...stalledUsers.slice(0, 20), ...otherUsers])
    warm.push((await client.request('POST', '/events', JSON.stringify({ user: u, slug: 'film', at: 0 }))).status);
  t.ok(
    warm.every((s) => s === 200),
    'both shards take events before the stall',
  );
  await sleep(500);
  const rssBefore = rss(front!);

  process.kill(stalled!, 'SIGSTOP');
  let continued = false;
  const resume = (): void => {
    if (continued) return;
    continued = true;
    process.kill(stalled!, 'SIGCONT');
  };
  t.teardown(resume);

  // 24 connections flood the stalled shard with 100-event requests (~12 KB each) for 12 s.
  const floodMs = 12_000;
  const started = Date.now();
  const until = started + floodMs;
  const flood: { status: number; ms: number; at: number; retryAfter: boolean; body: string }[] = [];
  let rssMax = rssBefore;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rss(front!))), 250);
  const flooders = Array.from({ length: 24 }, async (_, k) => {
    for (let n = 0; Date.now() < until; n++) {
      const events = Array.from({ length: 100 }, (_, i) => ({ user: stalledUsers[(k * 7 + i) % stalledUsers.length]!, slug: `film-${k}`, at: n * 100 + i }));
      const t0 = performance.now();
      let r: Reply;
      try {
        r = await client.request('POST', '/events', JSON.stringify(events), { 'idempotency-key': `flood-${k}-${n}` });
      } catch (err) {
        flood.push({ status: 0, ms: performance.now() - t0, at: Date.now() - started, retryAfter: false, body: String(err) });
        continue;
      }
      flood.push({
        status: r.status,
        ms: performance.now() - t0,
        at: Date.now() - started,
        retryAfter: r.headers['retry-after'] !== undefined,
        body: r.body.slice(0, 200),
      });
    }
  });
  // Meanwhile the other shard's users keep posting, one request at a time.
  const other: { status: number; ms: number }[] = [];
  const otherLoop = (async () => {
    for (let n = 1; Date.now() < until; n++) {
      const t0 = performance.now();
      const r = await client.request('POST', '/events', JSON.stringify(otherUsers.map((user) => ({ user, slug: 'film', at: n * 10 }))));
      other.push({ status: r.status, ms: performance.now() - t0 });
      await sleep(10);
    }
  })();
  await Promise.all([...flooders, otherLoop]);
  clearInterval(sampler);

  const statuses = new Map<number, number>();
  for (const f of flood) statuses.set(f.status, (statuses.get(f.status) ?? 0) + 1);
  t.comment(`flood: ${flood.length} requests to the stalled shard: ${[...statuses].map(([s, n]) => `${s} x${n}`).join(', ')}`);
  t.same([...statuses.keys()], [503], 'every request to the stalled shard was answered 503 (no 200 without the shard, no other error)');
  t.ok(
    flood.every((f) => f.retryAfter),
    'every 503 carries Retry-After',
  );
  t.match(flood.find((f) => f.status === 503)?.body ?? '', /"error":"unavailable"/, 'the 503 body is the contract error');
  // Once in-flight is full, refusals come at once; only requests that got in wait for the ack timeout.
  const shed = flood.filter((f) => f.ms < ackTimeoutMs / 2);
  const waited = flood.filter((f) => f.ms >= ackTimeoutMs / 2);
  const p90 = percentile(
    shed.map((f) => f.ms),
    90,
  );
  t.comment(
    `503s: ${shed.length} shed quickly (p50 ${percentile(
      shed.map((f) => f.ms),
      50,
    ).toFixed(1)} ms, p90 ${p90.toFixed(1)} ms), ${waited.length} waited for the ack timeout (max ${Math.max(...waited.map((f) => f.ms)).toFixed(0)} ms)`,
  );
  t.ok(shed.length > 10 * waited.length, 'most requests are shed at once rather than queued');
  t.ok(p90 < 250, `shed requests are answered quickly (p90 ${p90.toFixed(1)} ms)`);
  // MAX_INFLIGHT_EVENTS (200) is 2 requests of 100. A request that timed out is answered 503 but
  // its frame is still queued for the stalled shard (in the front's socket buffer, applied when
  // the shard resumes): it is still in flight. So over the whole stall at most 2 requests may be
  // sent to the shard; if each ack timeout let 2 more in, the queue (and the front's memory)
  // would grow for as long as the stall lasts.
  t.ok(
    waited.length <= 3,
    `in-flight to the stalled shard stayed bounded for the whole stall: ${waited.length} requests were sent to it (bound: 2 of 100 events; ${Math.ceil(floodMs / ackTimeoutMs)} ack timeouts passed)`,
  );
  const growth = rssMax - rssBefore;
  t.comment(`front RSS: ${(rssBefore / MB).toFixed(1)} MB before, at most ${(rssMax / MB).toFixed(1)} MB during the flood (+${(growth / MB).toFixed(1)} MB)`);
  t.ok(growth < 64 * MB, `the front's memory did not grow without bound (+${(growth / MB).toFixed(1)} MB)`);

  const otherFailed = other.filter((o) => o.status !== 200);
  const otherP99 = percentile(
    other.map((o) => o.ms),
    99,
  );
  t.comment(
    `the other shard: ${other.length} requests, p50 ${percentile(
      other.map((o) => o.ms),
      50,
    ).toFixed(1)} ms, p99 ${otherP99.toFixed(1)} ms`,
  );
  t.equal(otherFailed.length, 0, `the other shard's users got 200 throughout (${other.length} requests)`);
  t.ok(otherP99 < 1000, `and quickly (p99 ${otherP99.toFixed(0)} ms)`);

  resume();
  const recoveredBy = Date.now() + 20_000;
  let recovered = 0;
  let at = 1_000_000;
  while (Date.now() < recoveredBy) {
    const r = await client.request('POST', '/events', JSON.stringify({ user: stalledUsers[0], slug: 'after', at: (at += 10) }));
    if (r.status === 200 && ++recovered >= 5) break;
    await sleep(100);
  }
  t.equal(recovered, 5, 'after SIGCONT the stalled shard acknowledges again');
  const pair = await client.getJson(`/users/${encodeURIComponent(stalledUsers[0]!)}/movies/after`);
  t.equal(pair.status, 200, 'and answers queries');
  t.equal((await svc.pids('wt-shard'))[0], stalled, 'the stalled shard was frozen, not restarted');
  t.equal((await svc.pids('wt-front'))[0], front, 'the front did not restart');
  t.equal((await client.request('GET', '/readyz')).status, 200, 'the service is ready');
});
