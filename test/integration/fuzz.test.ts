import t from 'tap';
import { formatFuzz, FUZZ_DEFAULTS, runFuzz } from '../../scripts/fuzz/run.js';
import { buildRequest, RawConnection } from '../../scripts/fuzz/raw-http.js';
import { Service } from '../helpers/service.js';

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

t.test('an oversized body is answered 413, not cut off with a reset', async (t) => {
  const svc = await Service.start({ shards: 2 });
  t.teardown(() => svc.dispose().then(() => svc.removeData()));
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    const conn = new RawConnection(svc.port);
    const out = await conn.exchange(buildRequest('POST', '/events', [['Content-Type', 'application/json']], Buffer.alloc(4 << 20, 0x20)), {
      head: false,
      timeoutMs: 10_000,
    });
    conn.close();
    const k = out.kind === 'answer' ? String(out.answer.status) : out.kind;
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  }
  // Closing a socket with the body still unread makes the kernel answer with a reset, which
  // destroys the 413 before the client reads it: the server must read (and drop) the rest.
  t.same(Object.fromEntries(outcomes), { 413: 10 }, `4 MiB bodies: ${JSON.stringify(Object.fromEntries(outcomes))}`);
});
