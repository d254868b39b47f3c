import t, { type Test } from 'tap';
import { assignTarget, planFor } from '../../src/cluster/assignment.js';

// A small deterministic PRNG so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

function check(t: Test, P: number, members: string[], target: Map<string, number[]>): void {
  const seen = new Array<number>(P).fill(0);
  for (const list of target.values()) for (const p of list) seen[p]!++;
  t.ok(
    seen.every((c) => c === 1),
    'every partition assigned exactly once',
  );
  const counts = [...target.values()].map((l) => l.length);
  const lo = Math.floor(P / members.length);
  t.ok(
    counts.every((c) => c === lo || c === lo + 1),
    `balanced: ${counts} within ${lo}..${lo + 1}`,
  );
  t.same([...target.keys()].sort(), [...new Set(members)].sort(), 'one entry per member');
}

const ownersOf = (target: Map<string, number[]>): Map<number, string> => new Map([...target].flatMap(([m, ps]) => ps.map((p) => [p, m] as [number, string])));

function moves(before: Map<number, string>, after: Map<string, number[]>): number {
  let n = 0;
  for (const [p, m] of ownersOf(after)) if (before.get(p) !== m) n++;
  return n;
}

t.test('from nothing: balanced and independent of member order', async (t) => {
  for (const [P, M] of [
    [64, 1],
    [64, 2],
    [64, 3],
    [64, 5],
    [7, 3],
    [3, 7],
    [1, 2],
    [4096, 9],
  ] as const) {
    const members = Array.from({ length: M }, (_, i) => `host-${i}`);
    const a = assignTarget(P, members, new Map());
    check(t, P, members, a);
    t.same(assignTarget(P, [...members].reverse(), new Map()), a, `P=${P} M=${M}: same target for any member order`);
  }
  t.same(assignTarget(8, [], new Map()), new Map(), 'no members, no target');
});

t.test('random owners: balanced, keeps owners within share, moves only the minimum', async (t) => {
  const rand = rng(42);
  for (let round = 0; round < 300; round++) {
    const P = 1 + Math.floor(rand() * 200);
    const M = 1 + Math.floor(rand() * 9);
    const members = Array.from({ length: M }, (_, i) => `m${i}`);
    const owners = new Map<number, string>();
    for (let p = 0; p < P; p++) {
      const r = rand();
      // Some free, some held by a member gone from the list, the rest by random members.
      if (r < 0.2) continue;
      owners.set(p, r < 0.3 ? 'gone' : members[Math.floor(rand() * M)]!);
    }
    const target = assignTarget(P, members, owners);
    check(t, P, members, target);
    // The minimum: partitions with no live owner, plus what live owners hold beyond the largest share.
    const held = new Map<string, number>();
    let orphans = 0;
    for (let p = 0; p < P; p++) {
      const o = owners.get(p);
      if (o === undefined || o === 'gone') orphans++;
      else held.set(o, (held.get(o) ?? 0) + 1);
    }
    const lo = Math.floor(P / M);
    const extra = P % M;
    const sorted = [...members].map((m) => held.get(m) ?? 0).sort((a, b) => b - a);
    const excess = sorted.reduce((sum, c, i) => sum + Math.max(0, c - (lo + (i < extra ? 1 : 0))), 0);
    const moved = moves(owners, target);
    if (moved !== orphans + excess) t.fail(`round ${round}: moved ${moved}, minimum ${orphans + excess}`);
    else t.pass(`round ${round}`);
  }
});

t.test('a member joining takes only its share; a member leaving moves only its own', async (t) => {
  for (const [P, M] of [
    [64, 2],
    [64, 3],
    [64, 7],
    [10, 4],
    [256, 5],
  ] as const) {
    const members = Array.from({ length: M }, (_, i) => `host-${i}`);
    const before = assignTarget(P, members, new Map());
    const joined = assignTarget(P, [...members, 'new-host'], ownersOf(before));
    check(t, P, [...members, 'new-host'], joined);
    const share = joined.get('new-host')!.length;
    t.ok(share === Math.floor(P / (M + 1)) || share === Math.ceil(P / (M + 1)), 'the newcomer gets a fair share');
    t.equal(moves(ownersOf(before), joined), share, `P=${P} M=${M}: only the newcomer's share moves`);

    const leaver = members[0]!;
    const left = assignTarget(P, members.slice(1).length ? members.slice(1) : ['x'], ownersOf(before));
    if (M > 1) {
      check(t, P, members.slice(1), left);
      t.equal(moves(ownersOf(before), left), before.get(leaver)!.length, `P=${P} M=${M}: only the leaver's partitions move`);
    }
    // Stable: recomputing from the result changes nothing.
    t.same(assignTarget(P, [...members, 'new-host'], ownersOf(joined)), joined, 'a fixed point');
  }
});

t.test('planFor: what to take and to hand over', async (t) => {
  const target = new Map([
    ['a', [0, 1, 2]],
    ['b', [3, 4]],
  ]);
  t.same(planFor('a', target, [1, 3]), { take: [0, 2], release: [3] });
  t.same(planFor('b', target, [3, 4]), { take: [], release: [] });
  t.same(planFor('c', target, [5]), { take: [], release: [5] });
});
