/**
 * Shard assignment: FNV-1a (32-bit) over the UTF-8 bytes of `user`, modulo the shard count.
 * Stable across processes, Node versions and restarts; documented in DESIGN.md with test vectors.
 */
const encoder = new TextEncoder();
const scratch = new Uint8Array(1024);

export function fnv1a32(text: string): number {
  // Names are at most 256 UTF-16 units, i.e. at most 768 UTF-8 bytes: the scratch buffer fits them.
  const bytes = text.length <= 341 ? scratch.subarray(0, encoder.encodeInto(text, scratch).written) : encoder.encode(text);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(user: string, shards: number): number {
  return fnv1a32(user) % shards;
}
