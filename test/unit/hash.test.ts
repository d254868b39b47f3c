import t from 'tap';
import { fnv1a32, shardOf } from '../../src/hash.js';

// Fixed vectors: changing the hash would move users to other shards and orphan their data.
t.test('FNV-1a 32 vectors', async (t) => {
  t.equal(fnv1a32(''), 0x811c9dc5);
  t.equal(fnv1a32('a'), 0xe40c292c);
  t.equal(fnv1a32('foobar'), 0xbf9cf968);
});

t.test('hashes the UTF-8 bytes, long names too', async (t) => {
  // 'é' is C3 A9 in UTF-8: FNV-1a over those two bytes.
  let h = 0x811c9dc5;
  for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  t.equal(fnv1a32('é'), h);
  const long = '😀'.repeat(128); // 256 UTF-16 units, 512 bytes
  let h2 = 0x811c9dc5;
  for (const b of Buffer.from(long, 'utf8')) h2 = Math.imul(h2 ^ b, 0x01000193) >>> 0;
  t.equal(fnv1a32(long), h2);
  t.equal(fnv1a32('x'.repeat(1000)), fnv1a32('x'.repeat(1000)));
});

t.test('shard assignment is stable and in range', async (t) => {
  // Documented in DESIGN.md: operators can tell where a user lives.
  t.equal(fnv1a32('alice'), 2267157479);
  t.same(
    ['alice', 'bob', 'carol', 'dave', 'a/b c', 'ü %'].map((u) => shardOf(u, 2)),
    [1, 0, 0, 1, 0, 1],
  );
  t.same(
    ['alice', 'bob', 'carol', 'dave'].map((u) => shardOf(u, 4)),
    [3, 0, 2, 3],
  );
  for (let i = 0; i < 1000; i++) {
    const k = shardOf(`user-${i}`, 3);
    if (k < 0 || k > 2) t.fail(`out of range: ${k}`);
  }
});
