// The live dashboard: follows /dashboard/events (server-sent events, one frame a second) and
// renders it. Plain DOM, no library, nothing loaded from elsewhere. With QUERY_TOKEN set, open
// /dashboard#token=<token>: the token is passed on to the feed.
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

function chart(series) {
  const svg = $('chart');
  const max = Math.max(1, ...series);
  const w = 600 / series.length;
  const ns = 'http://www.w3.org/2000/svg';
  const bars = series.map((v, i) => {
    const h = (v / max) * 118;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('class', 'bar');
    r.setAttribute('x', String(i * w));
    r.setAttribute('y', String(120 - h));
    r.setAttribute('width', String(Math.max(w - 0.5, 0.5)));
    r.setAttribute('height', String(h));
    return r;
  });
  svg.replaceChildren(...bars);
  $('peak').textContent = `peak ${fmt(max)}/s`;
}

function render(f) {
  const rate = f.eventsPerSecond[f.eventsPerSecond.length - 1] ?? 0;
  $('rate').textContent = fmt(rate);
  $('total').textContent = fmt(f.eventsIngested);
  const sum = (k) => (f.shards.every((s) => s[k] !== null) ? f.shards.reduce((a, s) => a + s[k], 0) : null);
  $('users').textContent = fmt(sum('users'));
  $('pairs').textContent = fmt(sum('pairs'));
  chart(f.eventsPerSecond);
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
  fill('top', f.top.map((m, i) => [cell(String(i + 1)), cell(m.slug, 'name'), cell(secs(m.watchTime), 'num'), cell(fmt(m.viewers), 'num')]));
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
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
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

connect();
