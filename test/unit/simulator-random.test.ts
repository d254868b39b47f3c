import t from 'tap';
import { Rng, Zipf } from '../../scripts/simulator/random.js';

t.test('same seed and stream, same sequence; other seeds and streams differ', async (t) => {
  const take = (r: Rng) => Array.from({ length: 8 }, () => r.u32());
  t.same(take(new Rng(42)), take(new Rng(42)));
  t.same(take(new Rng(42, 1, 7)), take(new Rng(42, 1, 7)));
  t.not(take(new Rng(42)).join(), take(new Rng(43)).join());
  t.not(take(new Rng(42, 1, 7)).join(), take(new Rng(42, 1, 8)).join());
  t.not(take(new Rng(42, 1, 7)).join(), take(new Rng(42, 2, 7)).join());
});

t.test('a fixed seed gives a fixed stream (stable across machines)', async (t) => {
  const a = new Rng(1);
  const b = new Rng(1);
  const first = [a.u32(), a.u32(), a.u32()];
  t.same(first, [b.u32(), b.u32(), b.u32()]);
  for (const x of first) t.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
});

t.test('next, int and range stay in bounds and are roughly uniform', async (t) => {
  const r = new Rng(7);
  const buckets = new Array<number>(10).fill(0);
  let outside = 0;
  for (let i = 0; i < 100_000; i++) {
    const x = r.next();
    if (!(x >= 0 && x < 1)) outside++;
    else buckets[Math.floor(x * 10)]!++;
  }
  t.equal(outside, 0);
  for (const b of buckets) t.ok(Math.abs(b - 10_000) < 500, `bucket ${b} near 10000`);
  for (let i = 0; i < 1000; i++) {
    const n = r.int(7);
    if (!(Number.isInteger(n) && n >= 0 && n < 7)) t.fail(`int ${n}`);
    const y = r.range(5, 6);
    if (!(y >= 5 && y < 6)) t.fail(`range ${y}`);
  }
  t.throws(() => r.pick([]));
});

t.test('Zipf: probabilities follow 1/k^s and sum to 1', async (t) => {
  const z = new Zipf(4, 1);
  const h = 1 + 1 / 2 + 1 / 3 + 1 / 4;
  for (let k = 0; k < 4; k++) t.ok(Math.abs(z.p(k) - 1 / (k + 1) / h) < 1e-12, `p(${k})`);
  const flat = new Zipf(5, 0);
  for (let k = 0; k < 5; k++) t.ok(Math.abs(flat.p(k) - 0.2) < 1e-12);
  t.throws(() => new Zipf(0));
  t.throws(() => new Zipf(3, -1));
});

t.test('Zipf sampling matches the law and is deterministic', async (t) => {
  const z = new Zipf(50, 1.1);
  const counts = new Array<number>(50).fill(0);
  const r = new Rng(3);
  const N = 200_000;
  for (let i = 0; i < N; i++) counts[z.sample(r)]!++;
  for (const k of [0, 1, 2, 9, 49]) {
    const expected = z.p(k) * N;
    t.ok(Math.abs(counts[k]! - expected) < 5 * Math.sqrt(expected) + 5, `rank ${k}: ${counts[k]} vs ${expected.toFixed(0)}`);
  }
  t.ok(counts[0]! > counts[1]! && counts[1]! > counts[9]!);
  const again = new Rng(3);
  const r2 = new Rng(3);
  t.same(
    Array.from({ length: 100 }, () => z.sample(again)),
    Array.from({ length: 100 }, () => z.sample(r2)),
  );
  t.equal(new Zipf(1).sample(r), 0);
});
