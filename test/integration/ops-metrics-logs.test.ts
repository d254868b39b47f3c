import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parsePrometheus, sampleSum, sampleValue, type Exposition } from '../helpers/prometheus.js';
import { Service, sleep } from '../helpers/service.js';

/** GET /metrics is valid Prometheus text and follows what happens; every process logs JSON lines. */
const svc = await Service.start({ shards: 2, env: { LOG_LEVEL: 'debug' } });
t.teardown(() => svc.dispose());

async function scrape(): Promise<Exposition> {
  const r = await fetch(svc.url + '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(r.headers.get('content-type') ?? '')) throw new Error(`content type ${r.headers.get('content-type')}`);
  return parsePrometheus(await r.text());
}

t.test('/metrics parses, follows the conventions, and has every family', async (t) => {
  const m = await scrape();
  const expected: Record<string, string> = {
    wt_events_ingested_total: 'counter',
    wt_ingest_requests_rejected_total: 'counter',
    wt_http_request_duration_seconds: 'histogram',
    wt_shard_up: 'gauge',
    wt_shard_pending_events: 'gauge',
    wt_shard_uncommitted_frames: 'gauge',
    wt_shard_reconnects_total: 'counter',
    wt_shard_log_sequence: 'gauge',
    wt_shard_snapshot_sequence: 'gauge',
    wt_shard_snapshot_age_seconds: 'gauge',
    wt_shard_users: 'gauge',
    wt_shard_pairs: 'gauge',
    wt_shard_movies: 'gauge',
    wt_process_resident_memory_bytes: 'gauge',
    process_resident_memory_bytes: 'gauge',
  };
  for (const [name, type] of Object.entries(expected)) t.equal(m.types.get(name), type, `${name} is a ${type}`);
  for (const [name, type] of m.types) {
    if (type === 'counter') t.match(name, /_total$/, `counter ${name} ends in _total`);
    t.ok(m.help.get(name), `${name} has HELP`);
  }
  for (const shard of ['0', '1']) t.equal(sampleValue(m, 'wt_shard_up', { shard }), 1, `shard ${shard} is up`);
  for (const proc of ['front', 'shard-0', 'shard-1']) t.ok(sampleValue(m, 'wt_process_resident_memory_bytes', { process: proc })! > 1e6, `RSS of ${proc}`);
});

t.test('/metrics changes after posting events', async (t) => {
  const before = await scrape();
  const events = Array.from({ length: 30 }, (_, i) => ({ user: `metrics-user-${i}`, slug: `metrics-movie-${i % 3}`, at: i }));
  for (let i = 0; i < events.length; i += 10) t.equal((await svc.post(events.slice(i, i + 10))).status, 200);
  t.equal((await svc.post({ user: 'x', slug: 'y', at: 'soon' })).status, 400);
  t.equal((await svc.post('{"user":')).status, 400);
  t.equal((await svc.get('/users/metrics-user-1/watch-time')).status, 200);
  const after = await scrape();

  const delta = (name: string, labels: Record<string, string> = {}) => sampleSum(after, name, labels) - sampleSum(before, name, labels);
  t.equal(delta('wt_events_ingested_total'), 30, 'events ingested +30');
  t.equal(delta('wt_ingest_requests_rejected_total', { reason: 'invalid_event' }), 1, 'one invalid_event rejection');
  t.equal(delta('wt_ingest_requests_rejected_total', { reason: 'invalid_json' }), 1, 'one invalid_json rejection');
  t.equal(delta('wt_http_request_duration_seconds_count', { route: '/events', method: 'POST', code: '200' }), 3, '3 ingest requests timed');
  t.equal(
    delta('wt_http_request_duration_seconds_count', { route: '/users/:user/watch-time', method: 'GET', code: '200' }),
    1,
    'the query is timed by route pattern',
  );
  t.ok(delta('wt_shard_log_sequence') >= 3, 'log sequences advanced');
  t.ok(sampleSum(after, 'wt_shard_users') >= 30, 'users counted');
  t.ok(sampleSum(after, 'wt_shard_pairs') >= 30, 'pairs counted');
  t.ok(sampleSum(after, 'wt_shard_movies') >= 3, 'movies counted');
  const le = after.samples.filter((s) => s.name === 'wt_http_request_duration_seconds_bucket' && s.labels.route === '/events').map((s) => s.labels.le);
  t.ok(le.includes('+Inf'), 'histogram has a +Inf bucket');
});

t.test('a shard restart shows as a reconnect; snapshot age appears after a snapshot', async (t) => {
  const [victim] = await svc.pids('wt-shard');
  process.kill(victim!, 'SIGKILL');
  await sleep(300);
  await svc.waitReady();
  let m = await scrape();
  for (let i = 0; i < 50 && sampleValue(m, 'wt_shard_reconnects_total', { shard: '0' }) !== 1; i++) {
    await sleep(100);
    m = await scrape();
  }
  t.equal(sampleValue(m, 'wt_shard_reconnects_total', { shard: '0' }), 1, 'shard 0 reconnected once');
  t.equal(sampleValue(m, 'wt_shard_reconnects_total', { shard: '1' }), 0);
  // The restarted shard recovered from its log: same log sequence as before the kill, events intact.
  t.equal((await svc.get('/users/metrics-user-1/watch-time')).status, 200);
});

/** The JSON lines pm2 wrote for an app (PM2_HOME/logs/<app>-out.log, merge_logs). */
function logLines(app: string): Record<string, unknown>[] {
  const text = readFileSync(join(svc.pm2Home, 'logs', `${app}-out.log`), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line in ${app}-out.log: ${line}`);
      }
    });
}

t.test('logs are JSON lines with level, time, process and shard id', async (t) => {
  const shard = logLines('wt-shard');
  t.ok(shard.length >= 4, `${shard.length} shard lines`);
  for (const l of shard) {
    t.equal(l.process, 'shard');
    t.type(l.level, 'string');
    t.ok(typeof l.shard === 'number' && l.shard >= 0 && l.shard < 2, `shard id on ${JSON.stringify(l.msg)}`);
    t.match(String(l.time), /^\d{4}-\d\d-\d\dT/);
  }
  t.ok(
    shard.some((l) => l.shard === 0 && /recovered/.test(String(l.msg))),
    'shard 0 logged its recovery',
  );
  t.ok(
    shard.some((l) => l.shard === 1 && /ready on/.test(String(l.msg))),
    'shard 1 logged ready',
  );
  const front = logLines('wt-front');
  for (const l of front) {
    t.equal(l.process, 'front');
    t.type(l.level, 'string');
  }
  t.ok(
    front.some((l) => l.level === 'info' && /listening on/.test(String(l.msg))),
    'front logged listening',
  );
  const requests = front.filter((l) => l.level === 'debug' && l.msg === 'request');
  t.ok(requests.length > 0, 'LOG_LEVEL=debug: request lines');
  t.ok(
    requests.some((l) => l.route === '/events' && l.status === 200 && typeof l.ms === 'number'),
    'request lines carry route, status and duration',
  );
  t.ok(
    front.some((l) => l.level === 'warn' && /shard 0 disconnected/.test(String(l.msg))),
    'the front logged the shard restart as a warning',
  );
});
