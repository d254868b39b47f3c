import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, Service, sleep } from '../helpers/service.js';

const SIMULATE = join(ROOT, 'dist/scripts/simulate.js');

/** Runs the simulator as `npm run simulate` does; resolves with its exit code and stdout. */
function simulate(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [SIMULATE, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Bounded: the simulator stops by itself; this only guards the test against a hang.
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const service = await Service.start({ shards: 2 });
t.teardown(async () => {
  await service.dispose();
  service.removeData();
});

t.test('singles and batches at once, ~20k events, odd names: every total verifies exactly', async (t) => {
  const common = ['--url', service.url, '--movies', '100', '--odd-names', '0.4', '--verify', '--progress-every', '0.2'];
  const [singles, batches] = await Promise.all([
    simulate([...common, '--viewers', '150', '--events', '8000', '--batch', '1', '--concurrency', '16', '--seed', '11']),
    simulate([...common, '--viewers', '300', '--events', '12000', '--batch', '2-40', '--concurrency', '8', '--seed', '12']),
  ]);
  for (const [name, run, events] of [
    ['singles', singles, 8000],
    ['batches', batches, 12000],
  ] as const) {
    t.equal(run.code, 0, `${name} exit 0\n${run.out}\n${run.err.slice(-2000)}`);
    t.match(run.out, new RegExp(`summary: sent ${events} events in \\d+ requests, acked ${events}, retried \\d+, failed 0 `), `${name}: all acknowledged`);
    t.match(run.out, /verify: checked [1-9]\d*, mismatches 0 /, `${name}: 0 mismatches`);
    t.match(run.err, /sent \d+ acked \d+/, `${name}: progress lines on a pipe`);
  }
  t.match(singles.out, /in 8000 requests/, 'singles: one event a request');
});

t.test('a shard killed with -9 mid-run: retries, and the totals still verify', async (t) => {
  const run = simulate([
    '--url',
    service.url,
    '--viewers',
    '200',
    '--movies',
    '50',
    '--events',
    '6000',
    '--rate',
    '2000',
    '--batch',
    '1-5',
    '--verify',
    '--progress-every',
    '1',
  ]);
  await sleep(1000);
  const [shard0] = await service.pids('wt-shard');
  process.kill(shard0!, 'SIGKILL'); // pm2 restarts it; acknowledged events are in its LMDB log
  const { code, out, err } = await run;
  t.equal(code, 0, `${out}\n${err.slice(-2000)}`);
  t.match(out, /acked 6000, retried \d+, failed 0/);
  t.comment(out.trim());
  t.match(out, /verify: checked [1-9]\d*, mismatches 0 /);
});

t.test('a service with INGEST_TOKEN and QUERY_TOKEN: the simulator sends them from its environment', async (t) => {
  const tokens = { INGEST_TOKEN: 'ingest-secret', QUERY_TOKEN: 'query-secret' };
  const guarded = await Service.start({ shards: 2, env: tokens });
  t.teardown(async () => {
    await guarded.dispose();
    guarded.removeData();
  });
  const args = ['--url', guarded.url, '--viewers', '50', '--events', '1500', '--batch', '1-4', '--verify'];
  const ok = await simulate(args, tokens);
  t.equal(ok.code, 0, ok.out + ok.err.slice(-1000));
  t.match(ok.out, /verify: checked [1-9]\d*, mismatches 0 /);
  const refused = await simulate([...args, '--events', '5'], { INGEST_TOKEN: '', QUERY_TOKEN: '' });
  t.equal(refused.code, 1, 'without the token: refused, non-zero exit');
  t.match(refused.out, /acked 0, retried 0, failed 5 /);
  t.match(refused.out, /401 unauthorized/);
});

t.test('insights: late and repeated heartbeats, the catalogue, retention, series and continue-watching verify; a wrong COMPLETE_RATIO is caught', async (t) => {
  const other = await Service.start({ shards: 2, env: { COMPLETE_RATIO: '0.8' } });
  t.teardown(async () => {
    await other.dispose();
    other.removeData();
  });
  const args = ['--url', other.url, '--viewers', '80', '--movies', '8', '--events', '6000', '--batch', '1-10', '--interval', '60', '--verify', '--exclusive'];
  const right = await simulate([...args, '--complete-ratio', '0.8']);
  t.equal(right.code, 0, right.out + right.err.slice(-1000));
  t.match(right.out, /insights: 6000 events of which [1-9]\d* late or repeated/);
  t.match(right.out, /verify: checked [1-9]\d*, mismatches 0 /);
  t.match(
    right.out,
    /verify: insights: \d+ movies \(metadata, completions: [1-9]\d* completed pairs\), \d+ retention curves, [1-9]\d* series, 80 continue-watching lists/,
  );
  t.match(right.out, /overall series compared exactly/);
  const wrong = await simulate([...args, '--complete-ratio', '0.9', '--seed', '2']);
  t.equal(wrong.code, 1, 'the simulator believes 0.9, the service uses 0.8');
  t.match(wrong.out, /mismatch: .*(completed|completions|continue-watching)/);
});
