import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import * as R from '../../src/api/response-schema.js';
import { documentFor, LIMIT_PATTERN, OPERATIONS } from '../../src/ops/openapi.js';
import { parseLimit } from '../../src/front/respond.js';
import { ROOT, Service } from '../helpers/service.js';

/** /openapi.json matches the routes the front serves, real responses match its schemas, and /docs works offline. */
const svc = await Service.start({ shards: 2 });
t.teardown(() => svc.dispose());

// Response bodies are `any`: the JSON shape is what is being checked.
async function request(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; text: string }> {
  const ac = new AbortController();
  const r = await fetch(svc.url + path, {
    method,
    signal: ac.signal,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if ((r.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    ac.abort(); // a stream never ends by itself
    return { status: r.status, headers: r.headers, text: '' };
  }
  return { status: r.status, headers: r.headers, text: await r.text() };
}

const SAMPLE_PARAMS: Record<string, string> = { user: 'alice', slug: 'm1', asset: '' };
const ASSETS: Record<string, string> = { '/docs/{asset}': 'swagger-ui.css', '/dashboard/{asset}': 'dashboard.js' };
const fill = (path: string): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'asset' ? ASSETS[path]! : encodeURIComponent(SAMPLE_PARAMS[name]!)));

t.test('every documented operation is served, with exactly the documented methods', async (t) => {
  t.equal((await svc.post({ user: 'alice', slug: 'm1', at: 0 })).status, 200);
  t.equal((await svc.post({ user: 'alice', slug: 'm1', at: 30 })).status, 200);
  const doc = (await svc.get('/openapi.json')).body;
  t.equal(doc.openapi, '3.1.0');
  const paths = Object.entries(doc.paths as Record<string, Record<string, unknown>>);
  t.ok(paths.length >= 22, `${paths.length} paths documented`);
  for (const [path, item] of paths) {
    const methods = Object.keys(item).map((m) => m.toUpperCase());
    const url = fill(path);
    for (const method of methods) {
      const body = method === 'POST' ? { user: 'bob', slug: 'm1', at: 5 } : method === 'PUT' ? { duration: 600 } : undefined;
      const r = await request(method, url, body);
      t.not(r.status, 405, `${method} ${url} is served`);
      t.notMatch(r.text, /"No route /, `${method} ${url} is a route`);
      t.ok(r.status < 400, `${method} ${url} answers ${r.status}`);
    }
    // A method that is not documented gets 405, and Allow names exactly the documented ones, plus
    // HEAD wherever GET is (served by GET, not documented separately).
    const probe = await request('DELETE', url);
    t.equal(probe.status, 405, `DELETE ${url} is not served`);
    const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
    t.same((probe.headers.get('allow') ?? '').split(', ').sort(), allowed.sort(), `${url} allows ${allowed.join(', ')}`);
  }
});

t.test('the document is checked against the router both ways', async (t) => {
  const served = Object.entries(OPERATIONS).map(([path, ops]) => ({ path, methods: Object.keys(ops) }));
  t.ok(documentFor(served), 'the documented table builds');
  t.throws(() => documentFor([...served, { path: '/secret', methods: ['GET'] }]), /GET \/secret is served but not documented/);
  t.throws(() => documentFor(served.filter((r) => r.path !== '/metrics')), /GET \/metrics is documented but not served/);
  t.throws(() => documentFor(served.map((r) => (r.path === '/events' ? { ...r, methods: ['POST', 'PUT'] } : r))), /PUT \/events is served but not documented/);
});

t.test('real responses match the documented schemas', async (t) => {
  const check = (name: string, schema: TSchema, body: unknown) => {
    const c = Compile(schema);
    t.ok(c.Check(body), `${name}: ${JSON.stringify(body)} ${c.Check(body) ? '' : JSON.stringify([...c.Errors(body)].slice(0, 3))}`);
  };
  check(
    'Accepted',
    R.Accepted,
    (
      await svc.post([
        { user: 'carol', slug: 'm2', at: 1 },
        { user: 'carol', slug: 'm2', at: 11 },
      ])
    ).body,
  );
  check('MovieWatchTime', R.MovieWatchTime, (await svc.get('/movies/m1/watch-time')).body);
  check('UserWatchTime', R.UserWatchTime, (await svc.get('/users/alice/watch-time')).body);
  check('Pair', R.Pair, (await svc.get('/users/alice/movies/m1')).body);
  check('Latest', R.Latest, (await svc.get('/users/alice/movies/m1/latest')).body);
  check('UserMovies', R.UserMovies, (await svc.get('/users/carol/movies')).body);
  check('TopMovies', R.TopMovies, (await svc.get('/movies/top')).body);
  const put = await request('PUT', '/movies/m1', { duration: 40, title: 'M one', ignored: true });
  check('MovieStored', R.MovieStored, JSON.parse(put.text));
  check('Movie', R.Movie, (await svc.get('/movies/m1')).body);
  check('MovieWatchTime (with completions)', R.MovieWatchTime, (await svc.get('/movies/m1/watch-time')).body);
  check('Pair (with progress)', R.Pair, (await svc.get('/users/alice/movies/m1')).body);
  check('Latest (with progress)', R.Latest, (await svc.get('/users/alice/movies/m1/latest')).body);
  check('UserMovies (with progress)', R.UserMovies, (await svc.get('/users/alice/movies')).body);
  check('Retention', R.Retention, (await svc.get('/movies/m1/retention')).body);
  check('Series', R.Series, (await svc.get('/movies/m1/series?step=hour')).body);
  check('Series (all)', R.Series, (await svc.get('/series')).body);
  t.equal((await svc.post({ user: 'dave', slug: 'm1', at: 10, ts: 1 })).status, 200);
  check('ContinueWatching', R.ContinueWatching, (await svc.get('/users/dave/continue-watching')).body);
  t.ok((await svc.get('/users/dave/continue-watching')).body.items.length === 1, 'dave has m1 to continue');
  check('Error (invalid_movie)', R.ErrorBody, JSON.parse((await request('PUT', '/movies/m1', { duration: 0 })).text));
  check('Error (invalid_query)', R.ErrorBody, (await svc.get('/series?step=day')).body);
  check('Health', R.Health, (await svc.get('/healthz')).body);
  check('Ready', R.Ready, (await svc.get('/readyz')).body);
  check('Index', R.Index, (await svc.get('/')).body);
  check('Error (invalid_event)', R.ErrorBody, (await svc.post({ user: 'x', slug: 'y', at: '1' })).body);
  check('Error (not_found)', R.ErrorBody, (await svc.get('/users/nobody/watch-time')).body);
  check('IngestBody (array)', R.IngestBody, [{ user: 'a', slug: 'b', at: 1 }]);
  t.notOk(Compile(R.IngestBody).Check([]), 'an empty batch is not a valid body');
});

t.test('/docs is Swagger UI, and everything it loads comes from the service', async (t) => {
  const page = await request('GET', '/docs');
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.text, /id="swagger-ui"/);
  t.notMatch(page.text, /https?:\/\//, 'no absolute URL (no CDN) in the page');
  const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.ok(refs.length >= 3, `the page loads ${refs.join(', ')}`);
  for (const ref of refs) {
    t.match(ref, /^\/docs\//, `${ref} is served by the service`);
    const r = await request('GET', ref);
    t.equal(r.status, 200, `${ref} loads`);
    t.match(r.headers.get('content-type'), ref.endsWith('.css') ? /^text\/css/ : ref.endsWith('.js') ? /^text\/javascript/ : /^image\/png/);
  }
  const init = await request('GET', '/docs/docs-init.js');
  t.match(init.text, /url: '\/openapi\.json'/);
  t.match(init.text, /validatorUrl: null/, 'the online validator is off');
  t.equal((await request('GET', '/docs/package.json')).status, 404, 'only the listed files are reachable');
  t.equal((await request('GET', '/docs/..%2Fpackage.json')).status, 404);
});

t.test('Redocly (recommended ruleset) finds no error and no warning in /openapi.json', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-openapi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'openapi.json');
  const r = await request('GET', '/openapi.json');
  t.equal(r.status, 200);
  writeFileSync(file, r.text);
  // Offline: no telemetry, no update check; --extends pins the ruleset whatever config lies around.
  const cli = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
  const lint = spawnSync(process.execPath, [cli, 'lint', '--extends=recommended', '--format=json', file], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  const start = lint.stdout.indexOf('{');
  const report = JSON.parse(lint.stdout.slice(start)) as {
    totals: { errors: number; warnings: number };
    problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
  };
  const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 }, problems.join('\n'));
  t.equal(lint.status, 0, 'redocly lint exits 0');
});

t.test('the documented limit pattern accepts exactly what the service accepts', async (t) => {
  const pattern = new RegExp(LIMIT_PATTERN);
  for (const raw of ['1', '10', '007', '999', '1000', '0', '1001', '1e2', '1.5', '10abc', '', '-1', '+5', ' 5', '10.0', '0x10', '00000']) {
    let accepted = true;
    try {
      parseLimit(`limit=${encodeURIComponent(raw)}`, 10, 1000);
    } catch {
      accepted = false;
    }
    t.equal(pattern.test(raw), accepted, `${JSON.stringify(raw)}: ${accepted ? 'accepted' : 'refused'} by both`);
  }
  const doc = (await svc.get('/openapi.json')).body;
  const limit = doc.paths['/movies/top'].get.parameters.find((p: { name: string }) => p.name === 'limit');
  t.same(limit.schema, { type: 'string', pattern: LIMIT_PATTERN, default: '10' }, 'declared as a string of digits, not an integer (1e2 would pass)');
});
