/**
 * Peer of issue 13: the plain single-process design a newcomer would write, as the baseline the
 * sharded service has to beat. node:http, in-memory maps, and group commit: the events of every
 * request that arrived in one event-loop turn are appended to one file with one write and one
 * fdatasync, then applied (the same watch-time rule function as the shards) and acknowledged:
 * durable at the answer, like DURABILITY=fsync. No snapshots, no recovery: the bench never
 * restarts it. Answers the contract subset the bench loads: POST /events (one event or an
 * array), GET /users/{u}/watch-time, /users/{u}/movies/{s}, /movies/{s}/watch-time.
 *
 *   PORT=8081 DATA_DIR=/tmp/x node dist/bench/peers/plain.js
 */
import { fdatasyncSync, openSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { applyHeartbeat, EMPTY_PAIR, type PairState } from '../../src/shard/watch-rule.js';
import { exitWithParent } from '../exit-with-parent.js';
import { eventsOf, type PeerEvent } from './event-check.js';

const port = Number(process.env.PORT ?? 8081);
const MAX_STEP = 60;
const MAX_BATCH = 1000;
const MAX_BODY = 1 << 20;
const log = openSync(join(process.env.DATA_DIR ?? '.', 'events.log'), 'a');

interface Totals {
  watchTime: number;
  /** a user's movies, a movie's viewers */
  count: number;
}
const pairs = new Map<string, PairState>();
const users = new Map<string, Totals>();
const movies = new Map<string, Totals>();

function apply(e: PeerEvent, now: number): void {
  const key = `${e.user}\u0000${e.slug}`; // names have no control characters
  const prev = pairs.get(key);
  const next = applyHeartbeat(prev ?? EMPTY_PAIR, e.at, now, MAX_STEP);
  pairs.set(key, next);
  const added = next.watchTime - (prev?.watchTime ?? 0);
  for (const [map, name] of [
    [users, e.user],
    [movies, e.slug],
  ] as const) {
    let t = map.get(name);
    if (!t) map.set(name, (t = { watchTime: 0, count: 0 }));
    t.watchTime += added;
    if (!prev) t.count++;
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let waiting: { events: PeerEvent[]; res: ServerResponse }[] = [];

/** Group commit: one append and one fdatasync for every request of the turn, then apply and answer. */
function commit(): void {
  const batch = waiting;
  waiting = [];
  const now = Date.now();
  let lines = '';
  for (const w of batch) for (const e of w.events) lines += `${JSON.stringify(e)}\t${now}\n`;
  try {
    writeSync(log, lines);
    fdatasyncSync(log);
  } catch (err) {
    for (const w of batch) send(w.res, 503, JSON.stringify({ error: 'unavailable', message: String(err) }));
    return;
  }
  for (const w of batch) {
    for (const e of w.events) apply(e, now);
    send(w.res, 200, `{"accepted":${w.events.length}}`);
  }
}

function ingest(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return send(res, 413, '{"error":"payload_too_large","message":"body over 1 MiB"}');
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, '{"error":"invalid_json","message":"the body is not JSON"}');
    }
    const events = eventsOf(body, MAX_BATCH);
    if (!events) return send(res, 400, '{"error":"invalid_event","message":"not an event or an array of events"}');
    waiting.push({ events, res });
    if (waiting.length === 1) setImmediate(commit);
  });
}

const notFound = (res: ServerResponse): void => send(res, 404, '{"error":"not_found","message":"never seen"}');

function query(path: string, res: ServerResponse): void {
  const parts = path.split('/').map((p) => decodeURIComponent(p));
  if (parts.length === 4 && parts[1] === 'users' && parts[3] === 'watch-time') {
    const t = users.get(parts[2]!);
    return t ? send(res, 200, JSON.stringify({ user: parts[2], watchTime: t.watchTime, movies: t.count })) : notFound(res);
  }
  if (parts.length === 4 && parts[1] === 'movies' && parts[3] === 'watch-time') {
    const t = movies.get(parts[2]!);
    return t ? send(res, 200, JSON.stringify({ slug: parts[2], watchTime: t.watchTime, viewers: t.count })) : notFound(res);
  }
  if (parts.length === 5 && parts[1] === 'users' && parts[3] === 'movies') {
    const p = pairs.get(`${parts[2]}\u0000${parts[4]}`);
    if (!p) return notFound(res);
    const { watchTime, at, furthest, events, updatedAt } = p;
    return send(res, 200, JSON.stringify({ user: parts[2], slug: parts[4], watchTime, at, furthest, events, updatedAt: new Date(updatedAt).toISOString() }));
  }
  notFound(res);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'POST' && (path === '/events' || path === '/')) return ingest(req, res);
  if (req.method === 'GET') {
    try {
      return query(path, res);
    } catch {
      return send(res, 400, '{"error":"invalid_path","message":"bad percent-encoding"}');
    }
  }
  send(res, 405, '{"error":"method_not_allowed","message":"POST /events or GET"}');
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
exitWithParent();
