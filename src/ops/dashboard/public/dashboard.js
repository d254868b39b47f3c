// The live dashboard: follows /dashboard/events (server-sent events, one frame a second) and
// renders it; a picked movie's retention curve and watch-time series come from the API itself
// (GET /movies/{slug}, /retention, /series). Plain DOM, no library, nothing loaded from elsewhere.
// With QUERY_TOKEN set, open /dashboard#token=<token>: the token is passed on to the feed and API.
'use strict';

const $ = (id) => document.getElementById(id);
const nf = new Intl.NumberFormat('en');
const fmt = (n) => (n === null || n === undefined ? '–' : nf.format(Math.round(n)));
const secs = (s) => {
  if (s === null || s === undefined) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${(s / 3600).toFixed(1)} h`;
};
const bytes = (b) => (b === null || b === undefined ? '–' : `${(b / 1048576).toFixed(0)} MiB`);

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fill(tableId, rows) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells);
      return tr;
    }),
  );
}

const token = new URLSearchParams(location.hash.slice(1)).get('token');

/** Bars for `series` in the SVG `id`, scaled to `max` (default: the largest value). */
function bars(id, series, max = Math.max(1, ...series)) {
  const svg = $(id);
  const w = 600 / series.length;
  const ns = 'http://www.w3.org/2000/svg';
  const rects = series.map((v, i) => {
    const h = (v / max) * 118;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('class', 'bar');
    r.setAttribute('x', String(i * w));
    r.setAttribute('y', String(120 - h));
    r.setAttribute('width', String(Math.max(w - 0.5, 0.5)));
    r.setAttribute('height', String(h));
    return r;
  });
  svg.replaceChildren(...rects);
  return max;
}

/** Watch time per minute of the last hour, from a series' items (missing minutes are 0). */
function perMinute(items, now) {
  const end = Math.floor(now / 60000);
  const out = new Array(60).fill(0);
  for (const i of items) {
    const k = 59 - (end - Math.floor((typeof i.t === 'number' ? i.t : Date.parse(i.t)) / 60000));
    if (k >= 0 && k < 60) out[k] += i.watchTime;
  }
  return out;
}

function api(path) {
  return fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) =>
    r.json().then((body) => (r.ok ? body : Promise.reject(new Error(body.message || `${r.status}`)))),
  );
}

let picked = null;

/** The picked movie's summary, retention curve and last hour of watch time. */
async function showMovie() {
  if (!picked) return;
  const slug = picked;
  const path = `/movies/${encodeURIComponent(slug)}`;
  try {
    const [movie, retention, series] = await Promise.all([api(path), api(`${path}/retention`), api(`${path}/series?step=minute`)]);
    if (slug !== picked) return;
    const parts = [movie.title ? `${movie.title} (${slug})` : slug];
    parts.push(movie.duration !== undefined ? `duration ${secs(movie.duration)}` : 'no duration set');
    parts.push(`${fmt(movie.viewers)} viewers`, `watched ${secs(movie.watchTime)}`);
    if (movie.completions !== undefined) parts.push(`${fmt(movie.completions)} completed`);
    $('movie-summary').textContent = parts.join(' · ');
    const shares = retention.buckets.map((n) => (retention.viewers > 0 ? n / retention.viewers : 0));
    bars('retention', shares, 1);
    const peak = Math.max(0, ...retention.buckets);
    $('retention-peak').textContent = `${retention.bucketSeconds} s buckets · most ${fmt(peak)} of ${fmt(retention.viewers)} viewers`;
    $('retention-end').textContent = secs(retention.buckets.length * retention.bucketSeconds);
    const minutes = bars('movie-series', perMinute(series.items, Date.now()));
    $('movie-series-peak').textContent = `peak ${secs(minutes)} a minute`;
  } catch (err) {
    $('movie-summary').textContent = `${slug}: ${err.message}`;
    for (const id of ['retention', 'movie-series']) $(id).replaceChildren();
  }
}

function render(f) {
  const rate = f.eventsPerSecond[f.eventsPerSecond.length - 1] ?? 0;
  $('rate').textContent = fmt(rate);
  $('total').textContent = fmt(f.eventsIngested);
  const sum = (k) => (f.shards.every((s) => s[k] !== null) ? f.shards.reduce((a, s) => a + s[k], 0) : null);
  $('users').textContent = fmt(sum('users'));
  $('pairs').textContent = fmt(sum('pairs'));
  $('peak').textContent = `peak ${fmt(bars('chart', f.eventsPerSecond))}/s`;
  $('series-peak').textContent = `peak ${secs(bars('series', perMinute(f.series, f.now)))} a minute`;
  $('movies').replaceChildren(
    ...f.top.map((m) => {
      const o = document.createElement('option');
      o.value = m.slug;
      return o;
    }),
  );
  fill(
    'shards',
    f.shards.map((s) => [
      cell(String(s.shard)),
      cell(s.up ? 'up' : 'down', s.up ? 'up' : 'down'),
      cell(fmt(s.pendingEvents), 'num'),
      cell(fmt(s.logSeq), 'num'),
      cell(secs(s.snapshotAgeSeconds), 'num'),
      cell(fmt(s.users), 'num'),
      cell(fmt(s.pairs), 'num'),
      cell(fmt(s.movies), 'num'),
      cell(bytes(s.rssBytes), 'num'),
    ]),
  );
  fill(
    'top',
    f.top.map((m, i) => [cell(String(i + 1)), cell(m.slug, 'name'), cell(secs(m.watchTime), 'num'), cell(fmt(m.viewers), 'num')]),
  );
  fill(
    'latest',
    f.latest.map((e) => [
      cell(new Date(e.updatedAt).toLocaleTimeString()),
      cell(e.user, 'name'),
      cell(e.slug, 'name'),
      cell(secs(e.at), 'num'),
      cell(secs(e.watchTime), 'num'),
    ]),
  );
}

function connect() {
  const source = new EventSource('/dashboard/events' + (token ? `?token=${encodeURIComponent(token)}` : ''));
  const status = $('status');
  source.onopen = () => {
    status.textContent = 'live';
    status.className = 'status live';
  };
  source.onmessage = (m) => {
    render(JSON.parse(m.data));
    status.textContent = `live · ${new Date().toLocaleTimeString()}`;
    status.className = 'status live';
  };
  source.onerror = () => {
    status.textContent = 'disconnected, retrying…';
    status.className = 'status down';
  };
}

$('pick').addEventListener('submit', (e) => {
  e.preventDefault();
  picked = $('movie').value.trim() || null;
  void showMovie();
});
setInterval(() => void showMovie(), 5000);

connect();
