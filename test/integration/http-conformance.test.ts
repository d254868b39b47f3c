import { spawnSync } from 'node:child_process';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { buildRequest, header, RawConnection, type Answer } from '../../scripts/fuzz/raw-http.js';
import { shardOf } from '../../src/hash.js';
import { parsePrometheus, sampleValue, type Exposition } from '../helpers/prometheus.js';
import { Service, sleep } from '../helpers/service.js';

/** What a third-party HTTP client, Prometheus or a browser sees: the defects of issue #10, from outside. */
const svc = await Service.start({ shards: 2, env: { ACK_TIMEOUT_MS: '1500' } });
t.teardown(() => svc.dispose());

async function scrape(): Promise<Exposition> {
  const r = await fetch(svc.url + '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parsePrometheus(await r.text());
}

const hasCommand = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

const durationSeries = (m: Exposition) => m.samples.filter((s) => s.name === 'wt_http_request_duration_seconds_count');

t.test('a made-up method does not add a series to /metrics', async (t) => {
  // The first of each kind: a 404 and a 405 for a made-up method, and /metrics itself.
  t.equal((await fetch(svc.url + '/nope', { method: 'FOOA' })).status, 404);
  t.equal((await fetch(svc.url + '/events', { method: 'FOOB' })).status, 405);
  await scrape();
  const before = durationSeries(await scrape()).length;
  for (let i = 0; i < 30; i++) {
    const r = await fetch(svc.url + (i % 2 ? '/nope' : '/events'), { method: `MADEUP${i}` });
    t.ok(r.status === 404 || r.status === 405, `MADEUP${i} answered ${r.status}`);
    await r.arrayBuffer();
  }
  const after = durationSeries(await scrape());
  t.equal(after.length, before, `still ${before} series after 30 made-up methods`);
  const methods = new Set(after.map((s) => s.labels.method));
  for (const m of methods) t.ok(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'other'].includes(m!), `method label ${m} is from the fixed set`);
  t.ok(methods.has('other'), 'made-up methods count under method="other"');
  const routes = new Set(after.map((s) => s.labels.route));
  t.notOk(routes.has('/nope'), 'the raw path is never a label');
});

/** `n` user names owned by `shard` (of 2). */
function usersOn(shard: number, n: number, prefix: string): string[] {
  const users: string[] = [];
  for (let i = 0; users.length < n; i++) if (shardOf(`${prefix}-${i}`, 2) === shard) users.push(`${prefix}-${i}`);
  return users;
}

t.test('the per-shard load gauges show the figures they are named for', async (t) => {
  const [, victim] = await svc.pids('wt-shard');
  const frozen = usersOn(1, 5, 'gauge-user');
  process.kill(victim!, 'SIGSTOP');
  t.teardown(() => process.kill(victim!, 'SIGCONT'));
  // Three requests of 5 events each wait on the frozen shard 1 (and get 503 after ACK_TIMEOUT_MS).
  const posts = [0, 1, 2].map((i) => svc.post(frozen.map((user) => ({ user, slug: 'gauge-movie', at: i }))));
  await sleep(200);
  const m = await scrape(); // shard 1 does not answer its metrics query either: it times out
  t.equal(sampleValue(m, 'wt_shard_up', { shard: '1' }), 0, 'shard 1 is down for the scrape');
  // 15 events, plus the scrape's own query, which also timed out and still counts.
  t.equal(sampleValue(m, 'wt_shard_pending_events', { shard: '1' }), 16, 'the front holds 15 events and one query for shard 1');
  t.equal(sampleValue(m, 'wt_shard_pending_events', { shard: '0' }), 0, 'nothing waits on shard 0');
  t.equal(sampleValue(m, 'wt_shard_uncommitted_frames', { shard: '0' }), 0, 'shard 0 reports its own uncommitted frames');
  t.equal(sampleValue(m, 'wt_shard_uncommitted_frames', { shard: '1' }), undefined, 'a shard that did not answer has no figure of its own');
  for (const r of await Promise.all(posts)) t.equal(r.status, 503, 'the frozen shard did not confirm in time');
  process.kill(victim!, 'SIGCONT');
  let after = await scrape();
  for (let i = 0; i < 50 && sampleValue(after, 'wt_shard_pending_events', { shard: '1' }) !== 0; i++) {
    await sleep(100);
    after = await scrape();
  }
  t.equal(sampleValue(after, 'wt_shard_pending_events', { shard: '1' }), 0, 'released once the shard replied');
  t.equal(sampleValue(after, 'wt_shard_up', { shard: '1' }), 1);
});

// CI installs promtool (.ci/run, Debian package prometheus): there a missing promtool is a failure.
const promtool = hasCommand('promtool');
const noPromtool = !promtool && process.env.CI !== 'true' ? 'promtool is not installed (Debian: apt-get install prometheus)' : false;
t.test('promtool check metrics finds nothing to complain about', { skip: noPromtool }, async (t) => {
  if (!promtool) {
    t.fail('promtool is not installed, and CI=true: .ci/run installs it (apt-get install prometheus)');
    return;
  }
  const text = await (await fetch(svc.url + '/metrics')).text();
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(r.status, 0, `promtool check metrics exits 0: ${r.stdout}${r.stderr}`);
  t.equal(`${r.stdout}${r.stderr}`.trim(), '', 'and prints no problem');
});

async function raw(conn: RawConnection, method: string, path: string, headers: [string, string][] = []): Promise<Answer> {
  const o = await conn.exchange(buildRequest(method, path, headers, null), { head: method === 'HEAD', timeoutMs: 5000 });
  if (o.kind !== 'answer') throw new Error(`${method} ${path}: ${o.kind} ${JSON.stringify(o)}`);
  return o.answer;
}

t.test("HEAD carries the GET's Content-Length and no body, and the connection stays usable", async (t) => {
  t.equal((await svc.post({ user: 'head-user', slug: 'head-movie', at: 1 })).status, 200);
  const conn = new RawConnection(svc.port);
  t.teardown(() => conn.close());
  const paths = [
    '/healthz',
    '/users/head-user/watch-time',
    '/users/head-user/movies/head-movie',
    '/nope',
    '/users/nobody/watch-time',
    '/openapi.json',
    '/docs',
    '/docs/swagger-ui.css',
    '/dashboard/dashboard.js',
  ];
  for (const path of paths) {
    const get = await raw(conn, 'GET', path);
    const head = await raw(conn, 'HEAD', path);
    t.equal(head.status, get.status, `HEAD ${path}: the GET's status ${get.status}`);
    t.equal(header(head, 'content-length'), String(get.body.length), `HEAD ${path}: Content-Length ${get.body.length}`);
    t.equal(head.headers.get('content-length')?.length, 1, 'one Content-Length');
    t.equal(header(head, 'content-type'), header(get, 'content-type'), 'the same Content-Type');
    t.equal(head.extra, 0, 'no body');
    t.notOk(head.closed, 'the connection stays open');
  }
  const stream = await raw(conn, 'HEAD', '/dashboard/events');
  t.same(
    [stream.status, header(stream, 'content-type'), stream.extra, stream.closed],
    [200, 'text/event-stream', 0, false],
    'HEAD of the event stream: its headers, no stream',
  );
  const metrics = await raw(conn, 'HEAD', '/metrics');
  t.ok(Number(header(metrics, 'content-length')) > 1000, `HEAD /metrics reports the exposition's length (${header(metrics, 'content-length')})`);
  // Pipelined: a HEAD and a GET in one write are both answered, in order, on the same connection.
  const sock = new RawConnection(svc.port);
  t.teardown(() => sock.close());
  const both = Buffer.concat([buildRequest('HEAD', '/healthz', [], null), buildRequest('GET', '/readyz', [], null)]);
  const first = await sock.exchange(both, { head: true, timeoutMs: 5000 });
  t.equal(first.kind, 'answer');
  t.ok(first.kind === 'answer' && first.answer.extra > 0, 'the GET answer follows the HEAD answer');
  if (first.kind === 'answer') t.match(String(header(first.answer, 'content-length')), /^[1-9][0-9]*$/);
});

t.test('Allow lists HEAD wherever it lists GET', async (t) => {
  const conn = new RawConnection(svc.port);
  t.teardown(() => conn.close());
  for (const [path, allow] of [
    ['/healthz', 'GET, HEAD'],
    ['/users/a/watch-time', 'GET, HEAD'],
    ['/metrics', 'GET, HEAD'],
    ['/events', 'POST'],
  ] as const) {
    const r = await raw(conn, 'DELETE', path);
    t.same([r.status, header(r, 'allow')], [405, allow], `DELETE ${path}: 405, Allow: ${allow}`);
  }
  const head = await raw(conn, 'HEAD', '/events');
  t.same([head.status, header(head, 'allow')], [405, 'POST'], 'HEAD on a POST-only route is 405');
});

t.test('GET / is a small JSON index; POST / stays the ingest alias', async (t) => {
  const r = await svc.get('/');
  t.equal(r.status, 200);
  t.match(r.headers.get('content-type'), /^application\/json/);
  t.match(r.body, { service: 'watch-time', links: { docs: '/docs', openapi: '/openapi.json', dashboard: '/dashboard' } });
  for (const link of Object.values(r.body.links as Record<string, string>).filter((l) => l !== '/events')) {
    t.equal((await fetch(svc.url + link)).status, 200, `${link} is served`);
  }
  t.same((await svc.post({ user: 'index-user', slug: 'index-movie', at: 1 }, '/')).body, { accepted: 1 });
  const wrong = await fetch(svc.url + '/', { method: 'DELETE' });
  t.same([wrong.status, wrong.headers.get('allow')], [405, 'GET, HEAD, POST']);
});

t.test('a 404 points at /docs, which an HTTP client can fetch', async (t) => {
  const r = await svc.get('/no/such/route');
  t.same([r.status, r.body.error], [404, 'not_found']);
  t.match(r.body.message, /\/docs/);
  t.notMatch(r.body.message, /README/);
});

/** The pm2 id of shard `k` (pm2 numbers every process of the service). */
async function pm2IdOfShard(k: number): Promise<number> {
  const list = JSON.parse(await svc.pm2('jlist')) as { name: string; pm_id: number; pm2_env: { NODE_APP_INSTANCE?: number } }[];
  return list.find((p) => p.name === 'wt-shard' && (p.pm2_env.NODE_APP_INSTANCE ?? 0) === k)!.pm_id;
}

t.test('a shard outage: /readyz names the shard, queries and ingest each say what it means for them', async (t) => {
  const id = await pm2IdOfShard(0);
  await svc.pm2('stop', String(id));
  t.teardown(async () => {
    await svc.pm2('start', String(id));
    await svc.waitReady();
  });
  let ready = await svc.get('/readyz');
  for (let i = 0; i < 100 && ready.status === 200; i++) ready = await svc.get('/readyz');
  t.equal(ready.status, 503);
  t.equal(ready.body.message, 'shard 0 (of 2) is not ready yet: recovering its state or restarting; retry shortly');
  t.equal(ready.headers.get('retry-after'), '1');

  const [user] = usersOn(0, 1, 'outage-user');
  const query = await svc.get(`/users/${user}/watch-time`);
  t.same([query.status, query.body.error, query.headers.get('retry-after')], [503, 'unavailable', '1']);
  t.match(query.body.message, /^shard 0 is not connected .*; the query was not answered, retry it$/);
  t.notMatch(query.body.message, /acknowledged/, 'no ingest wording on a query');
  const movie = await svc.get('/movies/any/watch-time');
  t.match([movie.status, movie.body.message], [503, /the query was not answered/], 'a query to every shard too');

  const ingest = await svc.post({ user, slug: 'outage-movie', at: 1 });
  t.same([ingest.status, ingest.body.error], [503, 'unavailable']);
  t.match(ingest.body.message, /; nothing from this request is acknowledged, retry it$/);
});

t.test('compression: br or gzip when asked, for the docs assets, /openapi.json and /metrics', async (t) => {
  const conn = new RawConnection(svc.port);
  t.teardown(() => conn.close());
  const decode = { br: brotliDecompressSync, gzip: gunzipSync } as const;
  for (const path of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/openapi.json', '/dashboard/dashboard.js']) {
    const plain = await raw(conn, 'GET', path);
    t.equal(header(plain, 'content-encoding'), undefined, `${path}: not compressed unless asked`);
    t.equal(header(plain, 'vary'), 'Accept-Encoding', `${path}: Vary: Accept-Encoding`);
    for (const coding of ['br', 'gzip'] as const) {
      const r = await raw(conn, 'GET', path, [['Accept-Encoding', coding === 'br' ? 'gzip, deflate, br' : 'gzip']]);
      t.equal(header(r, 'content-encoding'), coding, `${path}: ${coding}`);
      t.equal(header(r, 'vary'), 'Accept-Encoding');
      t.same(decode[coding](r.body), plain.body, `${path}: ${coding} decodes to the same bytes`);
      t.ok(r.body.length < plain.body.length / 2, `${path}: ${plain.body.length} -> ${r.body.length} bytes`);
      const head = await raw(conn, 'HEAD', path, [['Accept-Encoding', coding]]);
      t.same([header(head, 'content-encoding'), header(head, 'content-length')], [coding, String(r.body.length)], `HEAD ${path}: the ${coding} GET's length`);
    }
  }
  for (const coding of ['br', 'gzip'] as const) {
    const r = await raw(conn, 'GET', '/metrics', [['Accept-Encoding', coding]]);
    t.equal(header(r, 'content-encoding'), coding, `/metrics: ${coding}`);
    const text = decode[coding](r.body).toString();
    t.ok(parsePrometheus(text).samples.length > 50, `/metrics in ${coding}: ${r.body.length} bytes for ${text.length}`);
  }
  const refused = await raw(conn, 'GET', '/openapi.json', [['Accept-Encoding', 'br;q=0, gzip;q=0']]);
  t.equal(header(refused, 'content-encoding'), undefined, 'q=0 refuses a coding');
  const png = await raw(conn, 'GET', '/docs/favicon-32x32.png', [['Accept-Encoding', 'br']]);
  t.equal(header(png, 'content-encoding'), undefined, 'a PNG is sent as it is');
  const api = await raw(conn, 'GET', '/healthz', [['Accept-Encoding', 'br']]);
  t.same([header(api, 'content-encoding'), header(api, 'vary')], [undefined, undefined], 'API answers are as they were');
});

t.test('no CORS headers when CORS_ORIGINS is unset', async (t) => {
  const conn = new RawConnection(svc.port);
  t.teardown(() => conn.close());
  const r = await raw(conn, 'GET', '/healthz', [['Origin', 'https://app.example.com']]);
  t.same(
    [...r.headers.keys()].filter((k) => k.startsWith('access-control-')),
    [],
    'no Access-Control-* header',
  );
  const options = await raw(conn, 'OPTIONS', '/events', [
    ['Origin', 'https://app.example.com'],
    ['Access-Control-Request-Method', 'POST'],
  ]);
  t.same([options.status, header(options, 'allow')], [405, 'POST'], 'OPTIONS is not served');
});

t.test("HTTP/1.0 gets uWebSockets.js's own 505 (what the README's reverse-proxy section is about)", async (t) => {
  const conn = new RawConnection(svc.port);
  t.teardown(() => conn.close());
  const o = await conn.exchange(Buffer.from('GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'), { head: false, timeoutMs: 5000 });
  t.equal(o.kind, 'answer');
  if (o.kind === 'answer') t.equal(o.answer.status, 505, 'HTTP/1.0 is refused: a proxy must speak HTTP/1.1 upstream');
});
