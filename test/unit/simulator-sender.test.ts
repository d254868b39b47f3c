import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { freePort } from '../helpers/service.js';
import { HttpClient } from '../../scripts/simulator/http-client.js';
import { backoff, EventSender, type RetryNotice } from '../../scripts/simulator/sender.js';

const FAST = { maxAttempts: 5, retryForMs: 10_000, backoffMinMs: 1, backoffMaxMs: 5 };

/** A local server answering with `answers` in turn (the last one repeats); records the bodies. */
async function fake(answers: ((res: ServerResponse) => void)[]) {
  const bodies: string[] = [];
  const keys: (string | undefined)[] = [];
  const auth: (string | undefined)[] = [];
  let i = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      keys.push(req.headers['idempotency-key'] as string | undefined);
      auth.push(req.headers.authorization);
      answers[Math.min(i++, answers.length - 1)]!(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, bodies, keys, auth, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const reply =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

const e1 = { user: 'a/b c', slug: '100%', at: 1.5 };
const e2 = { user: 'x', slug: 'y', at: 0 };

t.test('a single event is sent as an object, a batch as an array', async (t) => {
  const s = await fake([reply(200, { accepted: 1 }), reply(200, { accepted: 2 })]);
  const client = new HttpClient(s.url, 2, 5000);
  const sender = new EventSender(client, FAST);
  t.match(await sender.send([e1]), { kind: 'acked', attempts: 1 });
  t.match(await sender.send([e1, e2]), { kind: 'acked', attempts: 1 });
  t.same(JSON.parse(s.bodies[0]!), e1);
  t.same(JSON.parse(s.bodies[1]!), [e1, e2]);
  client.close();
  await s.close();
});

t.test('503 and 500 are retried with the whole request until 200', async (t) => {
  const s = await fake([reply(503, { error: 'unavailable' }, { 'retry-after': '0' }), reply(500, { error: 'internal' }), reply(200, { accepted: 2 })]);
  const client = new HttpClient(s.url, 1, 5000);
  const notices: RetryNotice[] = [];
  const out = await new EventSender(client, FAST).send([e1, e2], (n) => notices.push(n));
  t.match(out, { kind: 'acked', attempts: 3 });
  t.equal(notices.length, 2);
  t.ok(
    notices.every((n) => n.maybeStored),
    'a 5xx may have stored the events',
  );
  t.match(notices[0]!.reason, /^503 unavailable/);
  t.equal(new Set(s.bodies).size, 1, 'every attempt carried the same body');
  t.equal(new Set(s.keys).size, 1, '... and the same Idempotency-Key');
  t.match(s.keys[0], /^[0-9a-f-]{36}$/);
  client.close();
  await s.close();
});

t.test('each request has its own Idempotency-Key; none when turned off', async (t) => {
  const s = await fake([reply(200, { accepted: 1 })]);
  const client = new HttpClient(s.url, 1, 5000);
  await new EventSender(client, FAST).send([e1]);
  await new EventSender(client, FAST).send([e1]);
  await new EventSender(client, FAST, false).send([e1]);
  t.ok(s.keys[0] && s.keys[1] && s.keys[0] !== s.keys[1]);
  t.equal(s.keys[2], undefined);
  client.close();
  await s.close();
});

t.test('bearer tokens: the ingest token on POST, the query token on GET, none if unset', async (t) => {
  const s = await fake([reply(200, { accepted: 1 })]);
  const client = new HttpClient(s.url, 1, 5000, { post: 'in-tok', get: 'q-tok' });
  await new EventSender(client, FAST).send([e1]);
  await client.request('GET', '/users/x/watch-time');
  const open = new HttpClient(s.url, 1, 5000);
  await open.request('GET', '/readyz');
  t.same(s.auth, ['Bearer in-tok', 'Bearer q-tok', undefined]);
  client.close();
  open.close();
  await s.close();
});

t.test('4xx is not retried', async (t) => {
  const s = await fake([reply(400, { error: 'invalid_event' })]);
  const client = new HttpClient(s.url, 1, 5000);
  const out = await new EventSender(client, FAST).send([e1]);
  t.match(out, { kind: 'rejected', attempts: 1, reason: /^400 invalid_event/ });
  client.close();
  await s.close();
});

t.test('200 with the wrong accepted count is an anomaly', async (t) => {
  const s = await fake([reply(200, { accepted: 1 })]);
  const client = new HttpClient(s.url, 1, 5000);
  const out = await new EventSender(client, FAST).send([e1, e2]);
  t.match(out, { kind: 'acked', anomaly: /accepted=1 for 2/ });
  client.close();
  await s.close();
});

t.test('retries are bounded: lost after maxAttempts', async (t) => {
  const s = await fake([reply(503, { error: 'unavailable' })]);
  const client = new HttpClient(s.url, 1, 5000);
  const out = await new EventSender(client, FAST).send([e1]);
  t.match(out, { kind: 'lost', attempts: 5, maybeStored: true });
  t.equal(s.bodies.length, 5);
  client.close();
  await s.close();
});

t.test('connection refused: lost, and certainly not stored', async (t) => {
  const client = new HttpClient(`http://127.0.0.1:${await freePort()}`, 1, 5000);
  const out = await new EventSender(client, { ...FAST, maxAttempts: 2 }).send([e1]);
  t.match(out, { kind: 'lost', attempts: 2, maybeStored: false });
  client.close();
});

t.test('a request with no answer times out and may have been stored', async (t) => {
  const s = await fake([() => {}]);
  const client = new HttpClient(s.url, 1, 100);
  const out = await new EventSender(client, { ...FAST, maxAttempts: 1 }).send([e1]);
  t.match(out, { kind: 'lost', attempts: 1, maybeStored: true, reason: /100 ms|ECONNRESET/ });
  client.close();
  await s.close().catch(() => {});
});

t.test('backoff: exponential with jitter, capped, at least Retry-After', async (t) => {
  const p = { maxAttempts: 10, retryForMs: 1000, backoffMinMs: 50, backoffMaxMs: 2000 };
  t.equal(
    backoff(1, p, 0, () => 0),
    25,
  );
  t.equal(
    backoff(1, p, 0, () => 1),
    50,
  );
  t.equal(
    backoff(3, p, 0, () => 1),
    200,
  );
  t.equal(
    backoff(20, p, 0, () => 1),
    2000,
  );
  t.equal(
    backoff(1, p, 1000, () => 0),
    1000,
  );
  t.equal(
    backoff(1, p, 60_000, () => 0),
    10_000,
  );
});
