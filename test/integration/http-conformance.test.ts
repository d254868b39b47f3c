import t from 'tap';
import { parsePrometheus, type Exposition } from '../helpers/prometheus.js';
import { Service } from '../helpers/service.js';

/** What a third-party HTTP client, Prometheus or a browser sees: the defects of issue #10, from outside. */
const svc = await Service.start({ shards: 2 });
t.teardown(() => svc.dispose());

async function scrape(): Promise<Exposition> {
  const r = await fetch(svc.url + '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parsePrometheus(await r.text());
}

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
