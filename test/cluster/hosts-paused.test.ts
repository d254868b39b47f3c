import t from 'tap';
import { allPartitionsWritable, getOk, KeyedLoad, twoHostFixture, verifyLoad } from '../helpers/cluster-hosts.js';
import { sleep } from '../helpers/service.js';

// A member (shard process) paused past its lease then resumed, under a keyed load on two real
// hosts. The oracle catches any acknowledged request lost or applied twice.
const P = 16;
const { twoHosts } = await twoHostFixture(t, P);

t.test('a member paused past its lease and resumed acknowledges and applies nothing it no longer owns', async (t) => {
  const [a, b] = await twoHosts('paused');
  const load = new KeyedLoad([a.url, b.url], 24, 'paused-w');
  load.start();
  await sleep(3000);
  const [victim] = await a.pids('wt-shard');
  const before = await getOk(`${b.url}/cluster`);
  const victimParts = (before.body.partitions as { partition: number; owner: string }[]).filter((p) => p.owner === 'host-a-0').map((p) => p.partition);
  t.ok(victimParts.length > 0, `host-a-0 owns partitions ${victimParts.join(',')}`);
  process.kill(victim!, 'SIGSTOP');
  try {
    // Its leases expire; the others take its partitions (A's front keeps routing to the new owners).
    const took = await allPartitionsWritable(b.url, P, 'paused', 40_000);
    t.comment(`host-a-0 paused: every partition writable through host-b after ${Math.round(took)} ms`);
    await sleep(3000);
  } finally {
    process.kill(victim!, 'SIGCONT');
  }
  // Resumed: whatever it still had queued (requests from A's front that timed out) must fail.
  await sleep(8000);
  await load.stop();
  t.comment(load.failureSummary());
  t.same(await verifyLoad(load, b.url), [], 'every acknowledged request exactly once (nothing lost, nothing applied twice)');
  t.match(a.output, /"member":"host-a-0".*partition \d+ (lost|stopped)/, 'the resumed member dropped the partitions it had lost');
  const after = await getOk(`${b.url}/cluster`);
  t.equal((after.body.partitions as { serving: boolean }[]).filter((p) => p.serving).length, P, 'every partition served afterwards');
});
