import { connect, createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { encodeFrame, FrameDecoder } from '../../src/transport/frame.js';
import { Outbox } from '../../src/transport/outbox.js';
import { FrameServer, until } from '../helpers/frame-server.js';

// The outbox on a real Unix socket: what it hands to socket.write, and what arrives at the other end.

interface Pair {
  socket: Socket;
  /** Every buffer the outbox passed to socket.write, in order. */
  writes: Buffer[];
  /** Frames decoded at the receiving end, as [kind, id, body text]. */
  arrived: [number, number, string][];
}

async function pair(t: Test): Promise<Pair> {
  const { path, cleanup } = FrameServer.tempPath();
  const arrived: [number, number, string][] = [];
  const server = createServer((peer) => {
    const decoder = new FrameDecoder((kind, id, body) => arrived.push([kind, id, body.toString()]));
    peer.on('data', (chunk) => decoder.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const socket = connect(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  // Record what reaches the socket, and still write it.
  const writes: Buffer[] = [];
  const write = socket.write.bind(socket);
  socket.write = (chunk: Buffer) => {
    writes.push(chunk);
    return write(chunk);
  };
  t.teardown(async () => {
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    cleanup();
  });
  return { socket, writes, arrived };
}

const frame = (id: number, text: string) => encodeFrame(1, id, Buffer.from(text));
const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test('several sends in one callback go out in one write, in order', async (t) => {
  const { socket, writes, arrived } = await pair(t);
  const outbox = new Outbox(socket);
  const frames = [frame(1, 'a'), frame(2, 'bb'), frame(3, 'ccc')];
  for (const f of frames) outbox.send(f);
  t.equal(writes.length, 0, 'nothing written during the callback');
  await microtasks();
  t.equal(writes.length, 1, 'one write');
  t.same(writes[0], Buffer.concat(frames), 'the frames back to back, in send order');
  await until(() => arrived.length === 3);
  t.same(arrived, [
    [1, 1, 'a'],
    [1, 2, 'bb'],
    [1, 3, 'ccc'],
  ]);
});

t.test('the flush runs right after the callback, before the next event-loop turn', async (t) => {
  const { socket, writes } = await pair(t);
  const outbox = new Outbox(socket);
  outbox.send(frame(1, 'a'));
  await Promise.resolve();
  t.equal(writes.length, 1, 'written after one microtask');
});

t.test('sends in separate callbacks are separate writes', async (t) => {
  const { socket, writes, arrived } = await pair(t);
  const outbox = new Outbox(socket);
  outbox.send(frame(1, 'a'));
  await microtasks();
  outbox.send(frame(2, 'b'));
  outbox.send(frame(3, 'c'));
  await microtasks();
  t.equal(writes.length, 2);
  t.equal(writes[1]!.length, frame(2, 'b').length * 2, "the second callback's two frames together");
  await until(() => arrived.length === 3);
});

t.test('a single frame is written as it is, not copied', async (t) => {
  const { socket, writes } = await pair(t);
  const outbox = new Outbox(socket);
  const f = frame(9, 'only');
  outbox.send(f);
  await microtasks();
  t.equal(writes[0], f, 'the same buffer');
});

t.test('`now` writes at once, together with what was queued before it', async (t) => {
  const { socket, writes, arrived } = await pair(t);
  const outbox = new Outbox(socket);
  outbox.send(frame(1, 'queued'));
  outbox.send(frame(2, 'now'), true);
  t.equal(writes.length, 1, 'written synchronously');
  t.same(writes[0], Buffer.concat([frame(1, 'queued'), frame(2, 'now')]), 'queued frame first');
  await microtasks();
  t.equal(writes.length, 1, 'the scheduled flush finds nothing left to write');
  outbox.send(frame(3, 'later'));
  await microtasks();
  t.equal(writes.length, 2, 'later sends are batched again');
  await until(() => arrived.length === 3);
  t.same(
    arrived.map((a) => a[2]),
    ['queued', 'now', 'later'],
  );
});

t.test('frames for a socket that is no longer writable are dropped without an error', async (t) => {
  const { socket, writes } = await pair(t);
  const outbox = new Outbox(socket);
  socket.destroy();
  outbox.send(frame(1, 'a'));
  outbox.send(frame(2, 'b'), true);
  await microtasks();
  t.equal(writes.length, 0, 'nothing written to a destroyed socket');
});

t.test("'turn': frames sent from separate callbacks of one turn share one write", async (t) => {
  const { socket, writes, arrived } = await pair(t);
  const outbox = new Outbox(socket, 'turn');
  // Three callbacks in one turn, each with its microtasks drained, as uWebSockets.js calls a
  // handler per HTTP request.
  for (const [id, text] of [
    [1, 'a'],
    [2, 'bb'],
    [3, 'ccc'],
  ] as const) {
    outbox.send(frame(id, text));
    await Promise.resolve();
  }
  t.equal(writes.length, 0, 'nothing written before the end of the turn');
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.equal(writes.length, 1, 'one write for the turn');
  await until(() => arrived.length === 3);
  t.same(
    arrived.map(([, id]) => id),
    [1, 2, 3],
    'in send order',
  );
  // The callback flush, for comparison: a microtask boundary is enough to write.
  const callback = new Outbox(socket);
  callback.send(frame(4, 'd'));
  await Promise.resolve();
  await Promise.resolve();
  t.equal(writes.length, 2, "'callback' writes right after its callback");
});
