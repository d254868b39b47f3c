import t from 'tap';
import { DEFAULTS, formatReport, runChaos } from '../../scripts/chaos/run.js';

/**
 * A short chaos run (scripts/chaos/): ~20 s of sequential viewers retrying until 200 with an
 * Idempotency-Key, while a fixed plan SIGKILLs shards, the front and the whole service and
 * SIGSTOPs one shard past ACK_TIMEOUT_MS. Every acknowledged event must be counted exactly once,
 * live and after a final kill -9 of everything and a restart. `npm run chaos` is the long form.
 */
t.test('chaos: kills and a freeze lose nothing and count nothing twice', async (t) => {
  const report = await runChaos({
    ...DEFAULTS,
    durationS: 20,
    seed: 4,
    viewers: 16,
    gapS: [1, 2],
    plan: ['shard', 'front', 'freeze', 'shard', 'whole', 'shard'],
    graceMs: 60_000,
    log: (line) => t.comment(line),
    aborted: () => false,
  });
  for (const line of formatReport(report)) t.comment(line);
  if (report.outputTail) t.comment(report.outputTail);
  const f = report.faults;
  t.ok(
    f.shardKills >= 2 && f.frontKills >= 1 && f.freezes === 1,
    `faults happened: shard ${f.shardKills}, front ${f.frontKills}, whole ${f.wholeKills}, freeze ${f.freezes}`,
  );
  t.ok(report.load.acknowledged > 100, `the load made progress (${report.load.acknowledged} requests acknowledged)`);
  t.equal(report.live.lost, 0, 'no acknowledged event lost (live)');
  t.equal(report.live.doubled, 0, 'no event counted twice (live)');
  t.equal(report.afterRestart.lost, 0, 'no acknowledged event lost (after kill -9 and restart)');
  t.equal(report.afterRestart.doubled, 0, 'no event counted twice (after kill -9 and restart)');
  t.same(report.live.mismatches.slice(0, 10), [], 'every pair, user and movie exact (live)');
  t.same(report.afterRestart.mismatches.slice(0, 10), [], 'every pair, user and movie exact (after restart)');
  t.same(report.problems, [], 'no other problem');
});
