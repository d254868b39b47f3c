import { request } from 'node:http';
import { connect } from 'node:net';
import t from 'tap';
import { Service } from '../helpers/service.js';

/** A raw request: exact headers (fetch always adds a Content-Type) and an untouched path. */
function rawRequest(url: string, method: string, path: string, body = '', headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((ok, fail) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const svc = await Service.start({ shards: 2, env: { MAX_BATCH: '50', MAX_BODY_BYTES: '20000' } });
t.teardown(() => svc.dispose());
const ev = (user: string, slug: string, at: number) => ({ user, slug, at });

t.test('health and readiness', async (t) => {
  t.same((await svc.get('/healthz')).status, 200);
  t.same(await svc.get('/readyz').then((r) => [r.status, r.body.status]), [200, 'ready']);
});

t.test('ingest: single, batch, alias, charset, no content type', async (t) => {
  t.same((await svc.post(ev('alice', 'm1', 0))).body, { accepted: 1 });
  t.same((await svc.post([ev('alice', 'm1', 10), ev('bob', 'm1', 100), ev('bob', 'm1', 130)])).body, { accepted: 3 });
  t.same((await svc.post(ev('alice', 'm1', 20), '/', { 'content-type': 'application/json; charset=utf-8' })).body, { accepted: 1 });
  const noType = await rawRequest(svc.url, 'POST', '/events', JSON.stringify(ev('alice', 'm1', 30)));
  t.same(noType, { status: 200, body: { accepted: 1 } });
  t.same((await svc.get('/users/alice/watch-time')).body, { user: 'alice', watchTime: 30, movies: 1 });
  t.same((await svc.get('/movies/m1/watch-time')).body, { slug: 'm1', watchTime: 60, viewers: 2 });
});

t.test('error responses', async (t) => {
  const r415 = await svc.post('{}', '/events', { 'content-type': 'text/plain' });
  t.same([r415.status, r415.body.error], [415, 'unsupported_media_type']);
  const bad = await svc.post('{"user":');
  t.same([bad.status, bad.body.error], [400, 'invalid_json']);
  t.type(bad.body.message, 'string');
  const inv = await svc.post([ev('x', 'y', 1), { user: 'x', slug: 'y', at: '4500' }]);
  t.same([inv.status, inv.body.error, inv.body.details[0].path], [400, 'invalid_event', '/1/at']);
  const single = await svc.post({ user: 'x', slug: 'y' });
  t.same(
    single.body.details.map((d: { path: string }) => d.path),
    ['/at'],
  );
  const many = await svc.post(Array.from({ length: 51 }, (_, i) => ev('x', 'y', i)));
  t.same([many.status, many.body.error], [413, 'payload_too_large']);
  // 41 events (under MAX_BATCH=50) of about 530 bytes: over MAX_BODY_BYTES=20000.
  const big = await svc.post(Array(41).fill(ev('x'.repeat(250), 'y'.repeat(250), 1)));
  t.same([big.status, big.body.error], [413, 'payload_too_large']);
  const r405 = await fetch(svc.url + '/events');
  t.same([r405.status, r405.headers.get('allow'), ((await r405.json()) as { error: string }).error], [405, 'POST', 'method_not_allowed']);
  const r405b = await svc.post(ev('a', 'b', 1), '/users/alice/watch-time');
  t.same([r405b.status, r405b.headers.get('allow')], [405, 'GET, HEAD']);
  const r404 = await svc.get('/no/such/route');
  t.same([r404.status, r404.body.error], [404, 'not_found']);
  for (const q of ['limit=', 'limit=0', 'limit=1001', 'limit=1.5', 'limit=10abc', 'limit=1e2', 'limit=-1']) {
    const r = await svc.get(`/movies/top?${q}`);
    t.same([r.status, r.body.error], [400, 'invalid_query'], q);
    const u = await svc.get(`/users/alice/movies?${q}`);
    t.same([u.status, u.body.error], [400, 'invalid_query'], q);
  }
});

t.test('a batch with one bad event stores nothing', async (t) => {
  const r = await svc.post([ev('atomic-1', 'atomic-m', 1), ev('atomic-2', 'atomic-m', 2), ev('atomic-3', 'atomic-m', -5)]);
  t.equal(r.status, 400);
  for (const u of ['atomic-1', 'atomic-2', 'atomic-3']) t.equal((await svc.get(`/users/${u}/watch-time`)).status, 404);
  t.equal((await svc.get('/movies/atomic-m/watch-time')).status, 404);
});

t.test('unknown user, slug and pair are 404', async (t) => {
  for (const p of [
    '/users/nobody/watch-time',
    '/users/nobody/movies',
    '/movies/nothing/watch-time',
    '/users/alice/movies/nothing',
    '/users/alice/movies/nothing/latest',
  ]) {
    const r = await svc.get(p);
    t.same([r.status, r.body.error], [404, 'not_found'], p);
  }
});

t.test('pair, latest, user movies', async (t) => {
  await svc.post([ev('carol', 'b', 0), ev('carol', 'b', 50), ev('carol', 'b', 20), ev('carol', 'a', 5)]);
  const pair = (await svc.get('/users/carol/movies/b')).body;
  t.match(pair, { user: 'carol', slug: 'b', watchTime: 50, at: 20, furthest: 50, events: 3 });
  t.match(pair.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.same(Object.keys((await svc.get('/users/carol/movies/b/latest')).body).sort(), ['at', 'slug', 'updatedAt', 'user']);
  t.equal((await svc.get('/users/carol/movies/b/latest')).body.at, 20);
  await svc.post(ev('carol', 'c', 1));
  const list = (await svc.get('/users/carol/movies')).body;
  t.same(
    list.items.map((i: { slug: string }) => i.slug),
    ['c', 'a', 'b'],
    'newest first, ties by slug',
  );
  t.same(Object.keys(list.items[0]).sort(), ['at', 'events', 'furthest', 'slug', 'updatedAt', 'watchTime']);
  t.same((await svc.get('/users/carol/movies?limit=1')).body.items.length, 1);
});

t.test('percent-decoded unicode and odd names', async (t) => {
  const names = ['a/b c', 'ü 😀 %', '__proto__', 'constructor', '?#&=', '.', '..'];
  for (const [i, name] of names.entries()) {
    t.same((await svc.post([ev(name, name, 0), ev(name, name, 10 + i)])).status, 200, name);
    const u = encodeURIComponent(name);
    // fetch (WHATWG URL) resolves '.' and '..' segments even percent-encoded: send those raw.
    const get = (path: string) => (/^\.+$/.test(name) ? rawRequest(svc.url, 'GET', path) : svc.get(path));
    t.same((await get(`/users/${u}/watch-time`)).body, { user: name, watchTime: 10 + i, movies: 1 }, name);
    t.same((await get(`/movies/${u}/watch-time`)).body, { slug: name, watchTime: 10 + i, viewers: 1 }, name);
    t.same((await get(`/users/${u}/movies/${u}/latest`)).body.at, 10 + i, name);
  }
  t.same((await svc.get('/users/a%2Fb%20c/watch-time')).body.user, 'a/b c');
  const bad = await svc.get('/users/%E0%A4%A/watch-time');
  t.equal(bad.status, 400);
});

t.test('top movies merged across shards, ties by slug', async (t) => {
  // Users spread over both shards; "top-x" gets 40 from two users on different shards.
  const users = ['alice', 'bob', 'carol', 'dave']; // shards 1, 0, 0, 1 for SHARDS=2
  await svc.post([ev(users[0]!, 'top-x', 0), ev(users[0]!, 'top-x', 20), ev(users[1]!, 'top-x', 0), ev(users[1]!, 'top-x', 20)]);
  await svc.post([ev(users[2]!, 'top-y', 0), ev(users[2]!, 'top-y', 40), ev(users[3]!, 'top-z', 0), ev(users[3]!, 'top-z', 40)]);
  const top = (await svc.get('/movies/top?limit=1000')).body.items as { slug: string; watchTime: number; viewers: number }[];
  const idx = (s: string) => top.findIndex((m) => m.slug === s);
  t.same(
    top.find((m) => m.slug === 'top-x'),
    { slug: 'top-x', watchTime: 40, viewers: 2 },
  );
  t.ok(idx('top-x') < idx('top-y') && idx('top-y') < idx('top-z'), 'equal totals ordered by slug');
  for (let i = 1; i < top.length; i++) {
    const [a, b] = [top[i - 1]!, top[i]!];
    t.ok(a.watchTime > b.watchTime || (a.watchTime === b.watchTime && a.slug < b.slug), `order at ${i}`);
  }
  t.equal((await svc.get('/movies/top')).body.items.length, Math.min(10, top.length));
});

t.test('read-your-writes on every endpoint, across shards', async (t) => {
  for (let i = 1; i <= 30; i++) {
    const user = `ryw-${i % 7}`;
    t.equal((await svc.post([ev(user, 'ryw', 0), ev(user, 'ryw', 1)])).status, 200);
  }
  // 7 users, each pair: first batch counts 1, later batches rewind to 0 then +1: +1 per batch.
  const movie = (await svc.get('/movies/ryw/watch-time')).body;
  t.same(movie, { slug: 'ryw', watchTime: 30, viewers: 7 });
  t.equal((await svc.get('/movies/top?limit=1000')).body.items.find((m: { slug: string }) => m.slug === 'ryw').watchTime, 30);
});

t.test('Idempotency-Key: a retried request is answered again, not applied twice', async (t) => {
  const headers = { 'content-type': 'application/json', 'idempotency-key': 'retry-test-1' };
  // Users on both shards, several events per pair: a double apply would change every figure.
  const body = [ev('idem-a', 'idem', 0), ev('idem-a', 'idem', 10), ev('idem-b', 'idem', 0), ev('idem-b', 'idem', 20)];
  t.same((await svc.post(body, '/events', headers)).body, { accepted: 4 });
  t.same((await svc.post(body, '/events', headers)).body, { accepted: 4 });
  t.same((await svc.get('/movies/idem/watch-time')).body, { slug: 'idem', watchTime: 30, viewers: 2 });
  t.equal((await svc.get('/users/idem-a/movies/idem')).body.events, 2);
  const bad = await svc.post(body, '/events', { 'content-type': 'application/json', 'idempotency-key': 'has space' });
  t.same([bad.status, bad.body.error], [400, 'invalid_header']);
});

t.test('HEAD is GET without a body', async (t) => {
  const head = await fetch(`${svc.url}/users/alice/watch-time`, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal((await head.arrayBuffer()).byteLength, 0);
  const missing = await fetch(`${svc.url}/nope`, { method: 'HEAD' });
  t.same([missing.status, (await missing.arrayBuffer()).byteLength], [404, 0]);
  const wrong = await fetch(`${svc.url}/events`, { method: 'HEAD' });
  t.same([wrong.status, wrong.headers.get('allow')], [405, 'POST']);
});

t.test('paths: bad encoding of an unknown route is 404, of a known one 400; methods are case-sensitive', async (t) => {
  t.equal((await rawRequest(svc.url, 'OPTIONS', '/users/a%/movies/')).status, 404);
  t.equal((await rawRequest(svc.url, 'GET', '/users/a%/watch-time')).status, 400);
  const lower = await new Promise<string>((ok, fail) => {
    // node:http upper-cases methods, so a raw socket sends the lower-case one.
    const { hostname, port } = new URL(svc.url);
    const sock = connect(Number(port), hostname, () => sock.end('post /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'));
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    sock.on('end', () => ok(text));
    sock.on('error', fail);
  });
  t.match(lower, /^HTTP\/1\.1 405/);
});

t.test('a long non-ASCII pair path (about 4.6 KB) is served', async (t) => {
  const name = 'é'.repeat(256);
  t.equal((await svc.post([ev(name, name, 0), ev(name, name, 5)])).status, 200);
  const u = encodeURIComponent(name);
  t.equal((await svc.get(`/users/${u}/movies/${u}/latest`)).body.at, 5);
});

t.test('raw non-UTF-8 bytes: 404 on an unknown route, 400 in a name', async (t) => {
  const send = (path: string) =>
    new Promise<string>((ok, fail) => {
      const { hostname, port } = new URL(svc.url);
      const sock = connect(Number(port), hostname, () =>
        sock.end(Buffer.concat([Buffer.from('GET '), Buffer.from(path, 'latin1'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])),
      );
      let text = '';
      sock.on('data', (d: Buffer) => (text += d.toString()));
      sock.on('end', () => ok(text));
      sock.on('error', fail);
    });
  t.match(await send('/USERS/\xff/WATCH-TIME'), /^HTTP\/1\.1 404/);
  t.match(await send('/users/\xff/watch-time'), /^HTTP\/1\.1 400/);
});

t.test('nothing above failed inside the server', async (t) => {
  t.notMatch(svc.output, /internal error/, 'no request ended in an internal error');
});
