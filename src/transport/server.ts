import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { encodeFrame, FrameDecoder } from './frame.js';
import { Outbox } from './outbox.js';

export type Reply = (kind: number, id: number, body: Uint8Array) => void;
export type FrameHandler = (kind: number, id: number, body: Buffer, reply: Reply) => void;

/** The shard side of the transport: a Unix-socket server that hands each frame to `handler`. */
export function listenFrames(path: string, handler: FrameHandler, onConnect: (reply: Reply) => void): Promise<Server> {
  rmSync(path, { force: true }); // a socket file left by a killed process
  const server = createServer((socket) => {
    socket.setNoDelay?.(true);
    const outbox = new Outbox(socket);
    const reply: Reply = (kind, id, body) => outbox.send(encodeFrame(kind, id, body));
    const decoder = new FrameDecoder((kind, id, body) => handler(kind, id, body, reply));
    socket.on('data', (chunk) => {
      try {
        decoder.push(chunk);
      } catch {
        socket.destroy(); // a peer that breaks framing cannot be resynchronised
      }
    });
    socket.on('error', () => socket.destroy());
    onConnect(reply);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
