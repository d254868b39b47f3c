import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import t from 'tap';
import { ROOT, Service } from '../helpers/service.js';

/**
 * `npm run wt -- status | snapshot | verify | export | reshard` against the real service and its
 * DATA_DIR: data written with SHARDS=2, resharded to 3, answers identical; a corrupted log record
 * is found and named.
 */
const WT = join(ROOT, 'dist/scripts/wt.js');

function wt(dataDir: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [WT, ...args], { env: { ...process.env, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => ok({ code, stdout, stderr }));
  });
}

// Odd names on purpose: separators, quotes, commas, unicode, prototype keys.
const USERS = ['alice', 'bob', 'a/b c', '__proto__', 'constructor', 'zoë', 'comma,user', 'quote"user', ...Array.from({ length: 40 }, (_, i) => `user-${i}`)];
const SLUGS = ['heat', 'alien', 'm/1 %', '"quoted", film', 'amélie'];

type Event = { user: string; slug: string; at: number; ts?: number };

/** Heartbeats with continuous steps and a seek, in batches; every fifth user sends ts (one of them late); deterministic. */
function events(round: number): Event[][] {
  const batches: Event[][] = [];
  USERS.forEach((user, u) => {
    const batch: Event[] = [];
    for (let s = 0; s < SLUGS.length; s++) {
      if ((u + s) % 3 === 0) continue;
      const base = round * 100 + s;
      batch.push({ user, slug: SLUGS[s]!, at: base }, { user, slug: SLUGS[s]!, at: base + 5 + (u % 7) }, { user, slug: SLUGS[s]!, at: base + 12.5 });
    }
    if ((u + round) % 4 === 0) batch.push({ user, slug: SLUGS[0]!, at: 5000 }); // a seek
    if (u % 5 === 0) {
      batch.forEach((e, i) => (e.ts = 1_800_000_000_000 + round * 1000 + i));
      if (batch.length > 0) batch.push({ ...batch[0]!, at: 1 }); // a late repeat: counted in lateEvents only
    }
    batches.push(batch);
  });
  return batches;
}

const enc = encodeURIComponent;

/** Every answer a client can get about the data: users, their movies, pairs, latest, movies, top. */
async function answers(svc: Service): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const user of USERS) {
    out[`user ${user}`] = (await svc.get(`/users/${enc(user)}/watch-time`)).body;
    out[`movies of ${user}`] = (await svc.get(`/users/${enc(user)}/movies?limit=1000`)).body;
    for (const slug of SLUGS) {
      out[`pair ${user} ${slug}`] = (await svc.get(`/users/${enc(user)}/movies/${enc(slug)}`)).body;
      out[`latest ${user} ${slug}`] = (await svc.get(`/users/${enc(user)}/movies/${enc(slug)}/latest`)).body;
    }
  }
  for (const user of USERS) out[`continue ${user}`] = (await svc.get(`/users/${enc(user)}/continue-watching?limit=100`)).body;
  for (const slug of SLUGS) out[`movie ${slug}`] = (await svc.get(`/movies/${enc(slug)}/watch-time`)).body;
  for (const slug of SLUGS) out[`catalogue ${slug}`] = (await svc.get(`/movies/${enc(slug)}`)).body;
  out.top = (await svc.get('/movies/top?limit=1000')).body;
  return out;
}

/** RFC 4180 lines (no line breaks inside fields: names cannot hold control characters). */
function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const fields: string[] = [];
      let i = 0;
      while (i <= line.length) {
        if (line[i] === '"') {
          let value = '';
          i++;
          for (;;) {
            const q = line.indexOf('"', i);
            if (line[q + 1] === '"') {
              value += line.slice(i, q) + '"';
              i = q + 2;
            } else {
              value += line.slice(i, q);
              i = q + 2;
              break;
            }
          }
          fields.push(value);
        } else {
          const end = line.indexOf(',', i);
          fields.push(line.slice(i, end < 0 ? line.length : end));
          i = end < 0 ? line.length + 1 : end + 1;
        }
      }
      return fields;
    });
}

const svc2 = await Service.start({ shards: 2 });
const dataDir = svc2.dataDir;
let svc3: Service | null = null;
t.teardown(async () => {
  await svc2.dispose();
  await svc3?.dispose();
  svc2.removeData();
});

/** §5.2 catalogue entries: two movies get a duration, so their pairs carry progress, completed and resumeAt. */
const CATALOGUE: Record<string, { duration: number; title?: string }> = { heat: { duration: 120, title: 'Heat' }, 'm/1 %': { duration: 110 } };

t.test('data written with SHARDS=2', async (t) => {
  for (const batch of [...events(0), ...events(1)]) t.equal((await svc2.post(batch)).status, 200);
  for (const [slug, body] of Object.entries(CATALOGUE)) {
    const r = await fetch(`${svc2.url}/movies/${enc(slug)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    t.equal(r.status, 200, `PUT /movies/${slug}`);
  }
});

t.test('status: every shard, its log sequence, snapshot, users and pairs', async (t) => {
  const r = await wt(dataDir, 'status', '--json');
  t.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { shards: number; status: { up: boolean; metrics: { logSeq: number; users: number; pairs: number } }[] };
  t.equal(s.shards, 2);
  t.same(
    s.status.map((x) => x.up),
    [true, true],
  );
  t.equal(
    s.status.reduce((a, x) => a + x.metrics.users, 0),
    USERS.length,
  );
  t.ok(s.status.every((x) => x.metrics.logSeq > 0));
  const human = await wt(dataDir, 'status');
  t.equal(human.code, 0);
  t.match(human.stdout, /shard\s+state\s+pid\s+log seq/);
});

t.test('snapshot: every shard snapshots now', async (t) => {
  const r = await wt(dataDir, 'snapshot');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /shard 0: snapshot at log seq \d+/);
  t.match(r.stdout, /shard 1: snapshot at log seq \d+/);
  const s = JSON.parse((await wt(dataDir, 'status', '--json')).stdout) as {
    status: { metrics: { logSeq: number; snapshotSeq: number; snapshotAt: number } }[];
  };
  for (const x of s.status) {
    t.equal(x.metrics.snapshotSeq, x.metrics.logSeq, 'the snapshot covers the whole log');
    t.ok(Date.now() - x.metrics.snapshotAt < 60_000);
  }
});

t.test('verify (online) and export match the API', async (t) => {
  const v = await wt(dataDir, 'verify');
  t.equal(v.code, 0, v.stderr);
  t.match(v.stdout, /verify: 2 shards OK/);

  const nd = await wt(dataDir, 'export');
  t.equal(nd.code, 0, nd.stderr);
  const pairs = nd.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  let expected = 0;
  t.ok(
    pairs.some((p) => p.slug === 'heat' && typeof p.progress === 'number'),
    'pairs of a catalogued movie carry progress',
  );
  for (const p of pairs) {
    const api = (await svc2.get(`/users/${enc(p.user as string)}/movies/${enc(p.slug as string)}`)).body;
    t.same(p, api, `${p.user} / ${p.slug}`);
  }
  for (const user of USERS) expected += (await svc2.get(`/users/${enc(user)}/watch-time`)).body.movies as number;
  t.equal(pairs.length, expected, 'every pair exported once');

  const csv = await wt(dataDir, 'export', '--format', 'csv');
  t.equal(csv.code, 0, csv.stderr);
  const rows = parseCsv(csv.stdout);
  t.same(rows[0], ['user', 'slug', 'watchTime', 'at', 'furthest', 'events', 'updatedAt', 'lateEvents', 'progress', 'completed', 'resumeAt']);
  t.equal(rows.length - 1, pairs.length);
  const fromCsv = rows.slice(1).map(([user, slug, watchTime, at, furthest, events, updatedAt, lateEvents, progress, completed, resumeAt]) => ({
    user,
    slug,
    watchTime: Number(watchTime),
    at: Number(at),
    furthest: Number(furthest),
    events: Number(events),
    updatedAt,
    ...(progress === '' ? {} : { progress: Number(progress), completed: completed === 'true', resumeAt: Number(resumeAt) }),
    lateEvents: Number(lateEvents),
  }));
  t.same(fromCsv, pairs, 'CSV holds the same pairs, names quoted where needed');
});

t.test('reshard refuses while the service runs', async (t) => {
  const r = await wt(dataDir, 'reshard', '--to', '3');
  t.equal(r.code, 3);
  t.match(r.stderr, /the service is running/);
  t.same(JSON.parse(readFileSync(join(dataDir, 'layout.json'), 'utf8')), { shards: 2 }, 'layout unchanged');
});

t.test('reshard 2 → 3 offline: identical answers for every user, pair and movie', async (t) => {
  const before = await answers(svc2);
  t.equal((await svc2.stop()).code, 0, 'service stopped');
  const r = await wt(dataDir, 'reshard', '--to', '3');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /2 → 3 shards/);
  t.same(JSON.parse(readFileSync(join(dataDir, 'layout.json'), 'utf8')), { shards: 3 });
  const v = await wt(dataDir, 'verify');
  t.equal(v.code, 0, v.stdout + v.stderr);
  t.match(v.stdout, /verify: 3 shards OK/);

  svc3 = await Service.start({ shards: 3, dataDir });
  const after = await answers(svc3);
  t.same(after, before, 'every answer is the same after resharding');
  const s = JSON.parse((await wt(dataDir, 'status', '--json')).stdout) as { status: { metrics: { users: number } }[] };
  t.equal(s.status.length, 3);
  t.ok(
    s.status.every((x) => x.metrics.users > 0),
    'users spread over the 3 shards',
  );
  // New events continue on the new shards, with the usual rule (watch time grows by the step).
  const pair = before['pair alice heat'] as { at: number; watchTime: number };
  t.equal((await svc3.post({ user: 'alice', slug: 'heat', at: pair.at + 10 })).status, 200);
  t.equal((await svc3.get('/users/alice/movies/heat')).body.watchTime, pair.watchTime + 10);
  for (const batch of events(2)) t.equal((await svc3.post(batch)).status, 200);
});

t.test('verify finds a corrupted log record and names the shard directory and sequence', async (t) => {
  t.equal((await svc3!.stop()).code, 0);
  const dir = join(dataDir, 'shard-1');
  const env = open({ path: dir, maxDbs: 4 });
  const log = env.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
  const keys = [...log.getKeys()];
  t.ok(keys.length > 2, `shard 1 has ${keys.length} log records`);
  const victim = keys[Math.floor(keys.length / 2)]!;
  await log.put(victim, Buffer.from([0x93, 0xc1, 0xff, 0x00])); // not msgpack
  await env.close();

  const v = await wt(dataDir, 'verify');
  t.equal(v.code, 1, 'non-zero exit');
  t.match(v.stderr, `${dir}: log record seq ${victim} cannot be decoded`);
  t.match(v.stdout, /BAD  shard 1/);
  t.match(v.stdout, /ok   shard 0/);
  const json = JSON.parse((await wt(dataDir, 'verify', '--json')).stdout) as { ok: boolean; problems: string[] };
  t.equal(json.ok, false);
  t.equal(json.problems.length, 1);
  // Recovery (and export) start from the newest snapshot, which the graceful stop took over the
  // whole log: they do not read that record, verify does.
  const ex = await wt(dataDir, 'export');
  t.equal(ex.code, 0, 'export still works from the snapshot that covers the damaged record');
});
