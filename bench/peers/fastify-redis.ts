/**
 * Peer of issue 13: the usual stack, Fastify with its JSON-schema validation over Redis (Debian's
 * redis-server, started here on its own port and directory, AOF with `appendfsync everysec`: an
 * acknowledged event can be lost for up to a second on power loss, so it is less durable than
 * the service's fsync). Each event is one Lua script call (the watch-time rule of CONTRACT §3,
 * written again in Lua because Redis runs it; the events of one request are pipelined). Answers
 * the same subset as the plain peer.
 *
 *   PORT=8082 REDIS_PORT=6390 DATA_DIR=/tmp/x node dist/bench/peers/fastify-redis.js
 */
import { spawn } from 'node:child_process';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { exitWithParent } from '../exit-with-parent.js';
import type { PeerEvent } from './event-check.js';

const port = Number(process.env.PORT ?? 8082);
const redisPort = Number(process.env.REDIS_PORT ?? 6390);
const MAX_STEP = 60;

/** KEYS: pair, user, movie hashes. ARGV: at, receive time (ms), max step. */
const WATCH_LUA = `
local at = tonumber(ARGV[1])
local prev = redis.call('HMGET', KEYS[1], 'at', 'furthest')
local step = 0
if prev[1] then
  local d = at - tonumber(prev[1])
  if d > 0 and d <= tonumber(ARGV[3]) then step = d end
else
  redis.call('HINCRBY', KEYS[2], 'movies', 1)
  redis.call('HINCRBY', KEYS[3], 'viewers', 1)
end
local furthest = tonumber(prev[2] or '0')
if at > furthest then furthest = at end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'furthest', furthest, 'updatedAt', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'events', 1)
if step > 0 then
  redis.call('HINCRBYFLOAT', KEYS[1], 'watchTime', step)
  redis.call('HINCRBYFLOAT', KEYS[2], 'watchTime', step)
  redis.call('HINCRBYFLOAT', KEYS[3], 'watchTime', step)
end
return 1`;

const redisServer = spawn(
  process.env.REDIS_SERVER ?? 'redis-server',
  [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    process.env.DATA_DIR ?? '.',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
  ],
  { stdio: 'ignore' },
);
exitWithParent(() => redisServer.kill('SIGKILL'));

type WatchRedis = Redis & { watch3(pair: string, user: string, movie: string, at: number, now: number, maxStep: number): Promise<number> };
const redis = new Redis({ port: redisPort, host: '127.0.0.1', retryStrategy: (n) => (n > 50 ? null : 100) }) as WatchRedis;
redis.defineCommand('watch3', { numberOfKeys: 3, lua: WATCH_LUA });

const name = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;
const event = {
  type: 'object',
  required: ['user', 'slug', 'at'],
  properties: { user: name, slug: name, at: { type: 'number', minimum: 0, maximum: 1e9 } },
} as const;
const body = { anyOf: [event, { type: 'array', minItems: 1, maxItems: 1000, items: event }] } as const;

const app = Fastify({ logger: false, bodyLimit: 1 << 20, keepAliveTimeout: 60_000 });

const ingest = async (req: { body: unknown }): Promise<{ accepted: number }> => {
  const events = (Array.isArray(req.body) ? req.body : [req.body]) as PeerEvent[];
  const now = Date.now();
  const pipeline = redis.pipeline() as unknown as { watch3(...a: unknown[]): unknown; exec(): Promise<[Error | null, unknown][] | null> };
  for (const e of events) pipeline.watch3(`p:${e.user}\u0000${e.slug}`, `u:${e.user}`, `m:${e.slug}`, e.at, now, MAX_STEP);
  const results = await pipeline.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw new Error(`redis: ${failed?.[0]?.message ?? 'no answer'}`);
  return { accepted: events.length };
};
app.post('/events', { schema: { body } }, ingest);
app.post('/', { schema: { body } }, ingest);

const hash = async (key: string): Promise<Record<string, string> | null> => {
  const h = await redis.hgetall(key);
  return Object.keys(h).length ? h : null;
};
const num = (v: string | undefined): number => Number(v ?? 0);

app.get<{ Params: { user: string } }>('/users/:user/watch-time', async (req, reply) => {
  const h = await hash(`u:${req.params.user}`);
  if (!h) return reply.code(404).send({ error: 'not_found', message: 'never seen' });
  return { user: req.params.user, watchTime: num(h.watchTime), movies: num(h.movies) };
});
app.get<{ Params: { slug: string } }>('/movies/:slug/watch-time', async (req, reply) => {
  const h = await hash(`m:${req.params.slug}`);
  if (!h) return reply.code(404).send({ error: 'not_found', message: 'never seen' });
  return { slug: req.params.slug, watchTime: num(h.watchTime), viewers: num(h.viewers) };
});
app.get<{ Params: { user: string; slug: string } }>('/users/:user/movies/:slug', async (req, reply) => {
  const { user, slug } = req.params;
  const h = await hash(`p:${user}\u0000${slug}`);
  if (!h) return reply.code(404).send({ error: 'not_found', message: 'never seen' });
  return {
    user,
    slug,
    watchTime: num(h.watchTime),
    at: num(h.at),
    furthest: num(h.furthest),
    events: num(h.events),
    updatedAt: new Date(num(h.updatedAt)).toISOString(),
  };
});

async function main(): Promise<void> {
  // redis-server takes a moment to listen; ioredis retries until it does.
  await redis.ping();
  await app.listen({ port, host: '127.0.0.1' });
  console.log(`listening ${port}`);
}
main().catch((err: unknown) => {
  console.error(err);
  redisServer.kill('SIGKILL');
  process.exit(1);
});
