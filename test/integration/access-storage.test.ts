import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Service, sleep } from '../helpers/service.js';

t.test('bearer tokens for ingest and queries', async (t) => {
  const svc = await Service.start({ shards: 2, env: { INGEST_TOKEN: 'in-secret', QUERY_TOKEN: 'q-secret' } });
  t.teardown(() => svc.dispose());
  const ev = { user: 'tok', slug: 'm', at: 1 };
  for (const auth of [undefined, 'Bearer wrong', 'Bearer q-secret', 'in-secret']) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) };
    const r = await svc.post(ev, '/events', headers);
    t.same([r.status, r.body.error, r.headers.get('www-authenticate')], [401, 'unauthorized', 'Bearer'], String(auth));
    t.notMatch(r.body.message, /secret/, 'the token is never echoed');
  }
  const ok = await svc.post(ev, '/events', { 'content-type': 'application/json', authorization: 'Bearer in-secret' });
  t.same(ok.body, { accepted: 1 });
  t.equal((await svc.get('/users/tok/watch-time')).status, 401);
  const q = await fetch(`${svc.url}/users/tok/watch-time`, { headers: { authorization: 'Bearer q-secret' } });
  t.equal(q.status, 200);
  t.equal((await svc.get('/healthz')).status, 200, 'health stays open');
  t.equal((await svc.get('/readyz')).status, 200, 'readiness stays open');
});

/** A small tmpfs for DATA_DIR, so the disk can really fill up. Needs root (CI and dev machines run as root). */
function smallDisk(sizeMb: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'wt-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  return r.status === 0 ? dir : null;
}

t.test('a full disk answers 507, acknowledges nothing false, and recovers when space returns', async (t) => {
  const disk = smallDisk(6);
  if (!disk) {
    t.comment('cannot mount a tmpfs here (needs root): the full-disk test did not run');
    t.pass('skipped: no tmpfs');
    return;
  }
  t.teardown(() => {
    spawnSync('umount', ['-l', disk]);
    rmSync(disk, { recursive: true, force: true });
  });
  const svc = await Service.start({ shards: 1, dataDir: join(disk, 'data') });
  t.teardown(() => svc.dispose());
  const big = (i: number) => Array.from({ length: 500 }, (_, j) => ({ user: `full-${j % 50}`, slug: 'x'.repeat(200), at: i * 500 + j }));
  const acked: number[] = [];
  let last: { status: number; body: { error?: string }; headers: Headers } | null = null;
  for (let i = 0; i < 200; i++) {
    last = await svc.post(big(i));
    if (last.status !== 200) break;
    acked.push(i);
  }
  t.equal(last?.status, 507, `the disk filled up after ${acked.length} requests: ${JSON.stringify(last?.body)}`);
  t.equal(last?.body.error, 'insufficient_storage');
  t.ok(last?.headers.get('retry-after'), 'with Retry-After');
  t.equal((await svc.get('/readyz')).status, 200, 'the shard is still up and serving');
  const before = (await svc.get('/users/full-1/movies')).body;
  t.equal(before.items[0].events, acked.length * 10, 'exactly the acknowledged events are applied');
  // Space returns: the same process takes writes again.
  t.equal(spawnSync('mount', ['-o', 'remount,size=64m', disk]).status, 0);
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await svc.post(big(1000 + i))).status;
    if (status !== 200) await sleep(100);
  }
  t.equal(status, 200, 'writes work again once space returns');
  await svc.stop();
  const again = await Service.start({ shards: 1, dataDir: svc.dataDir });
  t.teardown(() => again.dispose());
  t.equal((await again.get('/users/full-1/movies')).body.items[0].events, acked.length * 10 + 10, 'and it all survives a restart');
});
