import { fnv1a32 } from '../hash.js';

/**
 * Which partitions each member should own, given the members and who owns what now. Pure and
 * deterministic (member order does not matter). Balanced: every member gets floor(P/M) or
 * ceil(P/M). Stable: a partition stays with its member while that member is within its share, so
 * only what must move moves (a joining member takes its share, a leaving one's partitions are spread).
 */
export function assignTarget(partitions: number, members: readonly string[], owners: ReadonlyMap<number, string>): Map<string, number[]> {
  const ids = [...new Set(members)].sort();
  const target = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return target;

  const owned = new Map<string, number[]>(ids.map((id) => [id, []]));
  for (let p = 0; p < partitions; p++) {
    const o = owners.get(p);
    if (o !== undefined) owned.get(o)?.push(p);
  }
  // The members that get one more than floor(P/M) are those owning most now: fewer moves.
  const base = Math.floor(partitions / ids.length);
  const extra = partitions % ids.length;
  const byOwned = [...ids].sort((a, b) => owned.get(b)!.length - owned.get(a)!.length || (a < b ? -1 : 1));
  const cap = new Map(byOwned.map((id, i) => [id, base + (i < extra ? 1 : 0)]));

  const pool: number[] = [];
  for (const id of ids) {
    // Over its share: keep the partitions it ranks highest, hand over the rest.
    const mine = owned.get(id)!.sort((a, b) => score(id, b) - score(id, a));
    const keep = mine.slice(0, cap.get(id));
    target.get(id)!.push(...keep);
    pool.push(...mine.slice(keep.length));
  }
  for (let p = 0; p < partitions; p++) {
    const o = owners.get(p);
    if (o === undefined || !target.has(o)) pool.push(p);
  }
  // Each free partition goes to the member with room that ranks it highest (rendezvous hashing).
  for (const p of pool.sort((a, b) => a - b)) {
    let best: string | undefined;
    for (const id of ids) {
      if (target.get(id)!.length >= cap.get(id)!) continue;
      if (best === undefined || score(id, p) > score(best, p)) best = id;
    }
    target.get(best!)!.push(p);
  }
  for (const list of target.values()) list.sort((a, b) => a - b);
  return target;
}

/** What one member should do to reach the target: partitions to take and to hand over. */
export function planFor(self: string, target: ReadonlyMap<string, readonly number[]>, held: Iterable<number>): { take: number[]; release: number[] } {
  const want = new Set(target.get(self) ?? []);
  const have = new Set(held);
  return { take: [...want].filter((p) => !have.has(p)).sort((a, b) => a - b), release: [...have].filter((p) => !want.has(p)).sort((a, b) => a - b) };
}

function score(member: string, partition: number): number {
  return fnv1a32(`${member}/${partition}`);
}
