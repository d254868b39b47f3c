import t from 'tap';
import { getOk, KeyedLoad, twoHostFixture, verifyLoad } from '../helpers/cluster-hosts.js';
import { sleep } from '../helpers/service.js';

// NATS servers killed and restarted (a stream leader first) under a keyed load on two real hosts.
// The oracle catches any acknowledged request lost or applied twice.
const P = 16;
const { nats, twoHosts } = await twoHostFixture(t, P);

t.test('kill -9 and restart of NATS servers, a stream leader first, under load: nothing acknowledged is lost', async (t) => {
  const [a, b] = await twoHosts('natskill');
  const load = new KeyedLoad([a.url, b.url], 24, 'natskill-w');
  load.start();
  await sleep(3000);
  let previous = -1;
  for (const round of [0, 1]) {
    const c = await getOk(`${a.url}/cluster`);
    const leaders = c.body.engine.leaders as Record<string, string>;
    // Round 0: the leader of the first log stream; round 1: the next server (a different one).
    const victim = round === 0 ? nats.indexOf(leaders['natskill-log-0'] || 'n1') : (previous + 1) % nats.size;
    previous = victim;
    const leads = Object.entries(leaders)
      .filter(([, l]) => l === nats.name(victim))
      .map(([s]) => s);
    const before = load.stats.acked;
    await nats.kill(victim);
    t.comment(`round ${round}: killed ${nats.name(victim)}, leader of ${leads.join(', ') || 'no stream'}`);
    await sleep(8000);
    t.ok(load.stats.acked > before, `requests still acknowledged with ${nats.name(victim)} down (${load.stats.acked - before})`);
    await nats.restart(victim, 120_000);
    await sleep(4000);
  }
  await load.stop();
  t.comment(load.failureSummary());
  t.equal(load.stats.noRetryAfter, 0, 'every 503 carries Retry-After');
  t.same(await verifyLoad(load, b.url), [], 'every acknowledged request exactly once');
  t.same(await verifyLoad(load, a.url), [], 'the same through the other host');
});
