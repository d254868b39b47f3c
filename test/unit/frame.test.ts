import t from 'tap';
import { encodeFrame, FrameDecoder, HEADER_BYTES } from '../../src/transport/frame.js';
import { packr } from '../../src/protocol/index.js';

const collect = () => {
  const frames: { kind: number; id: number; body: Buffer }[] = [];
  return { frames, decoder: new FrameDecoder((kind, id, body) => frames.push({ kind, id, body })) };
};

t.test('round trip of several frames in one chunk', async (t) => {
  const { frames, decoder } = collect();
  const a = encodeFrame(1, 7, packr.pack([1, 'u', 's', 2]));
  const b = encodeFrame(0x12, 0xffffffff, Buffer.alloc(0));
  decoder.push(Buffer.concat([a, b]));
  t.equal(frames.length, 2);
  t.same(packr.unpack(frames[0]!.body), [1, 'u', 's', 2]);
  t.same([frames[0]!.kind, frames[0]!.id], [1, 7]);
  t.same([frames[1]!.kind, frames[1]!.id, frames[1]!.body.length], [0x12, 0xffffffff, 0]);
});

t.test('frames split at every byte boundary', async (t) => {
  const body = packr.pack({ op: 'user', user: 'ü😀' });
  const wire = Buffer.concat([encodeFrame(2, 1, body), encodeFrame(2, 2, body)]);
  for (let cut = 1; cut < wire.length; cut++) {
    const { frames, decoder } = collect();
    decoder.push(wire.subarray(0, cut));
    decoder.push(wire.subarray(cut));
    t.equal(frames.length, 2, `cut at ${cut}`);
    t.same(packr.unpack(frames[1]!.body), { op: 'user', user: 'ü😀' });
  }
});

t.test('byte by byte', async (t) => {
  const { frames, decoder } = collect();
  const wire = encodeFrame(3, 9, Buffer.from('hello'));
  for (const byte of wire) decoder.push(Buffer.from([byte]));
  t.equal(frames.length, 1);
  t.equal(frames[0]!.body.toString(), 'hello');
  t.equal(wire.length, HEADER_BYTES + 5);
});

t.test('an absurd length is refused', async (t) => {
  const { decoder } = collect();
  const bad = Buffer.alloc(HEADER_BYTES);
  bad.writeUInt32BE(0xffffffff, 0);
  t.throws(() => decoder.push(bad));
});
