import { PassThrough } from 'node:stream';
import t from 'tap';
import { parseOptions, UsageError } from '../../scripts/simulator/options.js';
import { Progress, progressLine, summary } from '../../scripts/simulator/report.js';
import { LatencyHistogram, Stats } from '../../scripts/simulator/stats.js';
import { close } from '../../scripts/simulator/check.js';
import { reportLines } from '../../scripts/simulator/verify.js';

t.test('latency quantiles within 1 %', async (t) => {
  const h = new LatencyHistogram();
  t.ok(Number.isNaN(h.quantile(0.5)));
  for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 .. 100 ms
  t.ok(Math.abs(h.quantile(0.5) - 50) <= 0.5, `p50 ${h.quantile(0.5)}`);
  t.ok(Math.abs(h.quantile(0.99) - 99) <= 1, `p99 ${h.quantile(0.99)}`);
  t.equal(h.quantile(1), 100);
  h.record(0);
  t.equal(h.count, 1001);
});

t.test('summary and progress lines', async (t) => {
  const s = new Stats();
  s.sent = 1000;
  s.requests = 100;
  s.acked = 990;
  s.retried = 20;
  s.failed = 10;
  s.latency.record(2);
  s.error('POST /events: ECONNRESET');
  s.error('503 unavailable');
  s.error('503 unavailable');
  s.finishedAt = s.startedAt + 2000;
  const [line, errors] = summary(s);
  t.match(line, /^summary: sent 1000 events in 100 requests, acked 990, retried 20, failed 10 in 2\.0 s: 495 events\/s; ack latency p50 2\.0 ms, p99 2\.0 ms/);
  t.equal(errors, 'errors (failed attempts): 503 unavailable x2, ECONNRESET x1');
  t.match(
    progressLine(s, { events: 2000, durationMs: null }, 100, s.startedAt + 2000),
    /sent 1000 acked 990 \(50%\) 100 ev\/s errors 3 retried 20 failed 10 ETA 10s/,
  );
  t.match(progressLine(s, { events: null, durationMs: 60_000 }, 0, s.startedAt + 2000), /ETA 58s/);
});

t.test('progress: plain periodic lines when not a TTY', async (t) => {
  const out = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = '';
  (out as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  const s = new Stats();
  const p = new Progress(s, { events: 10, durationMs: null }, out, 30);
  t.equal(p.tty, false);
  p.start();
  await new Promise((r) => setTimeout(r, 100));
  p.stop();
  t.ok(text.split('\n').filter(Boolean).length >= 2, text);
  t.notMatch(text, /\r|\x1b/, 'no terminal control characters in logs');
});

t.test('verify report line and float tolerance', async (t) => {
  const insights = {
    checked: true,
    movies: 1,
    retention: 1,
    series: 2,
    continueWatching: 1,
    completions: 0,
    lateEvents: 3,
    progressPairs: 4,
    overallSeries: 'not checked',
  };
  const lines = reportLines({
    checked: 12,
    mismatches: 2,
    first: ['user "a": watchTime expected 1, got 2'],
    users: 1,
    movies: 1,
    pairs: 5,
    skipped: 0,
    retriedPairs: 3,
    doubledPairs: 1,
    insights,
  });
  t.match(lines[0], /^verify: checked 12, mismatches 2 \(/);
  t.match(
    lines[1],
    /^verify: insights: 1 movies .* 1 retention curves, 2 series, 1 continue-watching lists, 4 pairs with progress, 3 late events; overall series not checked/,
  );
  t.match(lines[2], /^verify: 3 pairs had a retry .*; 1 of them count that event twice/);
  t.equal(lines[3], '  mismatch: user "a": watchTime expected 1, got 2');
  t.equal(lines[4], '  ... and 1 more');
  t.ok(close(0.1 + 0.2, 0.3, 1e-9));
  t.ok(close(0, 0, 1e-9));
  t.notOk(close(1, 1.000001, 1e-9));
  t.notOk(close(0, 1e-300, 1e-9));
});

t.test('options: defaults, batch ranges and errors', async (t) => {
  const d = parseOptions([], {});
  t.match(d, {
    url: 'http://localhost:8000',
    viewers: 1000,
    events: 100_000,
    durationMs: null,
    rate: 0,
    batchMin: 1,
    batchMax: 1,
    verify: false,
    idempotencyKeys: true,
  });
  t.equal(parseOptions(['--no-idempotency-key'], {}).idempotencyKeys, false);
  t.equal(d.behaviour.maxStep, 60);
  t.equal(parseOptions([], { WATCH_MAX_STEP: '30' }).behaviour.maxStep, 30);
  t.match(parseOptions([], { INGEST_TOKEN: 'a', QUERY_TOKEN: 'b' }), { ingestToken: 'a', queryToken: 'b' });
  t.match(d, { ingestToken: undefined, queryToken: undefined });
  t.match(parseOptions(['--batch', '2-50', '--duration', '5', '--verify', '--tag', ''], {}), {
    batchMin: 2,
    batchMax: 50,
    events: null,
    durationMs: 5000,
    verify: true,
    tag: '',
  });
  t.match(parseOptions(['--events', '10', '--duration', '5'], {}), { events: 10, durationMs: 5000 });
  for (const bad of [
    ['--batch', '0'],
    ['--batch', '5-2'],
    ['--events', '1.5'],
    ['--pause', '2'],
    ['--url', 'ftp://x'],
    ['--nope'],
    ['--seek', '0.6', '--stop', '0.6'],
    ['--tag', 'a b'],
  ]) {
    let thrown: unknown;
    try {
      parseOptions(bad, {});
    } catch (err) {
      thrown = err;
    }
    t.ok(thrown instanceof UsageError, `${bad.join(' ')}: ${String(thrown)}`);
  }
});
