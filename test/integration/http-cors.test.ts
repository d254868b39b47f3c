import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import t from 'tap';
import { buildRequest, header, RawConnection, type Answer } from '../../scripts/fuzz/raw-http.js';
import { freePort, Service } from '../helpers/service.js';

/** CORS_ORIGINS: a list answers each listed origin with itself; `*` answers everyone; preflights are answered. */
const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
// A page served from another origin, for a real browser's cross-origin requests.
const pagePort = await freePort();
const PAGE = `http://127.0.0.1:${pagePort}`;
const pages = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another origin</title>'));
await new Promise<void>((ok) => pages.listen(pagePort, '127.0.0.1', ok));
t.teardown(() => new Promise<void>((ok) => pages.close(() => ok())));
const list = await Service.start({ shards: 2, env: { CORS_ORIGINS: `${APP}, ${DEV}, ${PAGE}`, INGEST_TOKEN: 'cors-ingest-token' } });
const star = await Service.start({ shards: 2, env: { CORS_ORIGINS: '*' } });
t.teardown(() => Promise.all([list.dispose(), star.dispose()]));

async function raw(svc: Service, method: string, path: string, headers: [string, string][], body: string | null = null): Promise<Answer> {
  const conn = new RawConnection(svc.port);
  try {
    const o = await conn.exchange(buildRequest(method, path, headers, body === null ? null : Buffer.from(body)), { head: method === 'HEAD', timeoutMs: 5000 });
    if (o.kind !== 'answer') throw new Error(`${method} ${path}: ${o.kind}`);
    return o.answer;
  } finally {
    conn.close();
  }
}

/** The Access-Control-Allow-Origin value; a browser refuses an answer that carries it twice. */
const acao = (a: Answer) => {
  const values = a.headers.get('access-control-allow-origin') ?? [];
  if (values.length > 1) throw new Error(`Access-Control-Allow-Origin sent ${values.length} times: ${values.join(' | ')}`);
  return values[0];
};
const vary = (a: Answer) => (a.headers.get('vary') ?? []).join(', ');

t.test('a list: each listed origin gets itself back, on answers and errors alike, with Vary: Origin', async (t) => {
  const ok = await raw(list, 'GET', '/healthz', [['Origin', APP]]);
  t.same([ok.status, acao(ok)], [200, APP]);
  t.match(vary(ok), /\bOrigin\b/);
  t.match(header(ok, 'access-control-expose-headers'), /Retry-After/, 'a script may read Retry-After');
  t.equal(acao(await raw(list, 'GET', '/healthz', [['Origin', DEV]])), DEV, 'the second origin of the list');

  const other = await raw(list, 'GET', '/healthz', [['Origin', 'https://evil.example.com']]);
  t.same([other.status, acao(other)], [200, undefined], 'an origin not listed gets no Access-Control-Allow-Origin');
  t.match(vary(other), /\bOrigin\b/, 'but the answer still varies by Origin');
  t.equal(acao(await raw(list, 'GET', '/healthz', [])), undefined, 'no Origin: no CORS answer');

  const notFound = await raw(list, 'GET', '/users/nobody/watch-time', [['Origin', APP]]);
  t.same([notFound.status, acao(notFound)], [404, APP], '404');
  const noRoute = await raw(list, 'GET', '/nope', [['Origin', APP]]);
  t.same([noRoute.status, acao(noRoute)], [404, APP], 'unknown route');
  const wrong = await raw(list, 'DELETE', '/events', [['Origin', APP]]);
  t.same([wrong.status, acao(wrong)], [405, APP], '405');
  const unauthorized = await raw(
    list,
    'POST',
    '/events',
    [
      ['Origin', APP],
      ['Content-Type', 'application/json'],
    ],
    '{"user":"u","slug":"s","at":1}',
  );
  t.same([unauthorized.status, acao(unauthorized), header(unauthorized, 'www-authenticate')], [401, APP, 'Bearer'], '401 with WWW-Authenticate');
  const invalid = await raw(
    list,
    'POST',
    '/events',
    [
      ['Origin', APP],
      ['Content-Type', 'application/json'],
      ['Authorization', 'Bearer cors-ingest-token'],
    ],
    '{"user":"u"}',
  );
  t.same([invalid.status, acao(invalid)], [400, APP], '400');
  const posted = await raw(
    list,
    'POST',
    '/events',
    [
      ['Origin', APP],
      ['Content-Type', 'application/json'],
      ['Authorization', 'Bearer cors-ingest-token'],
    ],
    '{"user":"u","slug":"s","at":1}',
  );
  t.same([posted.status, acao(posted)], [200, APP], 'an accepted POST');
  const compressed = await raw(list, 'GET', '/openapi.json', [
    ['Origin', APP],
    ['Accept-Encoding', 'gzip'],
  ]);
  t.same([acao(compressed), header(compressed, 'content-encoding')], [APP, 'gzip']);
  t.match(vary(compressed), /Accept-Encoding/);
  t.match(vary(compressed), /Origin/);
});

t.test('a list: the preflight before a cross-origin POST is answered', async (t) => {
  const conn = new RawConnection(list.port);
  t.teardown(() => conn.close());
  const pre = await conn.exchange(
    buildRequest(
      'OPTIONS',
      '/events',
      [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'POST'],
        ['Access-Control-Request-Headers', 'authorization, content-type, idempotency-key'],
      ],
      null,
    ),
    { head: false, timeoutMs: 5000 },
  );
  if (pre.kind !== 'answer') throw new Error(pre.kind);
  const a = pre.answer;
  t.equal(a.status, 204);
  t.equal(acao(a), APP);
  t.equal(header(a, 'access-control-allow-methods'), 'POST');
  const allowed = (header(a, 'access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
  for (const h of ['content-type', 'authorization', 'idempotency-key']) t.ok(allowed.includes(h), `${h} may be sent`);
  t.ok(Number(header(a, 'access-control-max-age')) > 0, 'Max-Age');
  t.equal(header(a, 'allow'), 'POST, OPTIONS');
  t.match(vary(a), /Origin/);
  t.equal(header(a, 'content-length'), undefined, 'a 204 has no Content-Length');
  t.equal(a.extra, 0, 'and no body');
  t.notOk(a.closed, 'the connection stays open');
  const next = await conn.exchange(buildRequest('GET', '/users/u/watch-time', [['Origin', APP]], null), { head: false, timeoutMs: 5000 });
  t.same(next.kind === 'answer' ? [next.answer.status, acao(next.answer)] : next.kind, [200, APP], 'the next request on the connection is answered');

  const get = await raw(list, 'OPTIONS', '/users/u/watch-time', [
    ['Origin', DEV],
    ['Access-Control-Request-Method', 'GET'],
  ]);
  t.same([get.status, acao(get), header(get, 'access-control-allow-methods')], [204, DEV, 'GET, HEAD']);
  const other = await raw(list, 'OPTIONS', '/events', [
    ['Origin', 'https://evil.example.com'],
    ['Access-Control-Request-Method', 'POST'],
  ]);
  t.same([other.status, acao(other), header(other, 'access-control-allow-methods')], [204, undefined, undefined], 'an origin not listed is not allowed');
  const unknown = await raw(list, 'OPTIONS', '/nope', [
    ['Origin', APP],
    ['Access-Control-Request-Method', 'GET'],
  ]);
  t.same([unknown.status, acao(unknown)], [404, APP], 'OPTIONS on an unknown route is 404');
});

t.test('*: every origin may read, no Vary: Origin', async (t) => {
  const r = await raw(star, 'GET', '/healthz', [['Origin', 'https://anyone.example.org']]);
  t.same([r.status, acao(r)], [200, '*']);
  t.notMatch(vary(r), /Origin/);
  const err = await raw(star, 'GET', '/nope', [['Origin', 'https://anyone.example.org']]);
  t.same([err.status, acao(err)], [404, '*']);
  const pre = await raw(star, 'OPTIONS', '/', [
    ['Origin', 'https://anyone.example.org'],
    ['Access-Control-Request-Method', 'POST'],
    ['Access-Control-Request-Headers', 'content-type'],
  ]);
  t.same([pre.status, acao(pre), header(pre, 'access-control-allow-methods'), header(pre, 'allow')], [204, '*', 'GET, HEAD, POST', 'GET, HEAD, POST, OPTIONS']);
});

const CHROMIUM = '/usr/bin/chromium';
t.test('a browser on a listed origin can POST with a token and read the answers; another origin cannot', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`);
    return;
  }
  const profile = mkdtempSync(join(tmpdir(), 'wt-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.teardown(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  });
  // Page-side code is a string: this project compiles without the DOM library.
  const script = (base: string) => `(async () => {
    const out = {};
    try {
      const post = await fetch('${base}/events', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer cors-ingest-token', 'Idempotency-Key': 'browser-1' },
        body: JSON.stringify([{ user: 'browser-user', slug: 'browser-movie', at: 1 }, { user: 'browser-user', slug: 'browser-movie', at: 11 }]),
      });
      out.post = [post.status, await post.json()];
      const get = await fetch('${base}/users/browser-user/movies/browser-movie');
      out.get = [get.status, (await get.json()).watchTime];
      const missing = await fetch('${base}/users/nobody/watch-time');
      out.missing = [missing.status, (await missing.json()).error];
      const denied = await fetch('${base}/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      out.denied = [denied.status, denied.headers.get('WWW-Authenticate')];
    } catch (err) {
      out.error = String(err);
    }
    return out;
  })()`;
  const page = await browser.newPage();
  await page.goto(`${PAGE}/`);
  t.same(
    await page.evaluate(script(list.url)),
    {
      post: [200, { accepted: 2 }],
      get: [200, 10],
      missing: [404, 'not_found'],
      denied: [401, 'Bearer'],
    },
    'the preflighted POST, a GET, and the errors are all readable',
  );
  // Same page, another origin (localhost is not 127.0.0.1 to a browser): the browser blocks the answers.
  await page.goto(`http://localhost:${pagePort}/`);
  const blocked = await page.evaluate<{ error?: string }>(script(list.url));
  t.match(blocked.error, /TypeError/, `an origin not listed cannot read the API (${blocked.error})`);
  await page.close();
});
