import t from 'tap';
import { formatFuzz, FUZZ_DEFAULTS, runFuzz } from '../../scripts/fuzz/run.js';

/**
 * A short seeded fuzz run (scripts/fuzz/): ~5k random and mutated requests from raw sockets at a
 * fresh service. No process may die or restart, every well-formed request must be answered in
 * time with a contract response, and the state afterwards must be the seeded state plus exactly
 * the valid events that were acknowledged. `npm run fuzz -- --requests 100000` is the long form.
 */
t.test('fuzz: hostile requests get contract answers and store nothing invalid', async (t) => {
  const r = await runFuzz({ ...FUZZ_DEFAULTS, requests: 5000, seed: 20261129, log: (line) => t.comment(line) });
  for (const line of formatFuzz(r)) t.comment(line);
  if (r.outputTail) t.comment(r.outputTail);
  t.equal(r.sent, 5000, 'every request was sent');
  t.same(r.crashes, [], 'no process died or restarted (same pids, same pm2 restart counts)');
  t.equal(r.hangs, 0, 'every well-formed request was answered in time');
  t.same(
    [...r.violations].map(([k, v]) => `${v.count} x ${k} (e.g. ${v.example})`),
    [],
    'every answer is a well-formed contract answer',
  );
  t.ok(r.stored.requests > 100, `valid requests were mixed in and stored (${r.stored.requests})`);
  t.same(r.before.mismatches, [], 'the seeded state verified before the fuzz');
  t.same(r.after.mismatches.slice(0, 10), [], 'afterwards the state is the state before plus the acknowledged valid events');
});
