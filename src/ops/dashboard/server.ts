import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bearerCheck, notFound, StaticBody, type EventStream, type Exchange, type Request } from '../../http/index.js';
import { logger } from '../../log.js';
import { compareNames, mergeSeries, topMoviesOf, type Backend, type LatestPair } from '../../protocol/index.js';
import type { Metrics } from '../metrics.js';

/** The page and its files live in the source tree (plain HTML/CSS/JS, no build step). */
const PUBLIC = fileURLToPath(new URL('../../../../src/ops/dashboard/public/', import.meta.url));
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

const HISTORY_SECONDS = 300;
const TOP = 10;
const LATEST = 12;
/** Minutes of the overall watch-time series in a frame. */
const SERIES_MINUTES = 60;
/** A viewer whose socket stays this many ticks behind is dropped (its buffer would grow forever). */
const MAX_BACKLOGGED_TICKS = 10;

interface Viewer {
  stream: EventStream;
  backlogged: number;
}

/** What one server-sent `data:` message carries (dashboard.js renders it). */
export interface DashboardFrame {
  now: number;
  /** events acknowledged per second, oldest first, the last is the second that just ended */
  eventsPerSecond: number[];
  eventsIngested: number;
  shards: {
    shard: number;
    up: boolean;
    pendingEvents: number;
    uncommittedFrames: number | null;
    logSeq: number | null;
    snapshotAgeSeconds: number | null;
    users: number | null;
    pairs: number | null;
    movies: number | null;
    rssBytes: number | null;
  }[];
  top: { slug: string; watchTime: number; viewers: number }[];
  latest: LatestPair[];
  /** watch time and events per minute over all movies, the last hour (non-empty minutes; §5.4) */
  series: { t: number; watchTime: number; events: number }[];
}

/**
 * GET /dashboard (a static page) and GET /dashboard/events (server-sent events): once a second,
 * every connected page gets the same frame. Nothing is queried while no page is open; the
 * events/s history is sampled from the metrics' running total, off the request path.
 */
export class Dashboard {
  private readonly viewers = new Set<Viewer>();
  private readonly history: number[] = [];
  private lastTotal: number;
  private building = false;
  private readonly files = new Map<string, StaticBody>();
  private readonly check: (authorization: string | undefined) => void;

  constructor(
    private readonly shards: Backend,
    private readonly metrics: Metrics,
    queryToken: string | undefined,
  ) {
    this.check = bearerCheck(queryToken, 'The dashboard feed');
    this.lastTotal = metrics.eventsIngested;
    setInterval(() => this.tick(), 1000).unref();
  }

  page = (ex: Exchange): void => {
    ex.sendCompressible(200, FILES['index.html']!, this.file('index.html'), { 'Cache-Control': 'no-cache' });
  };

  asset = (ex: Exchange, req: Request): void => {
    const name = req.params.asset ?? '';
    if (name === 'index.html' || !FILES[name]) throw notFound(`No dashboard asset ${JSON.stringify(name)}.`);
    ex.sendCompressible(200, FILES[name], this.file(name), { 'Cache-Control': 'no-cache' });
  };

  /** Opens a server-sent event stream; the first frame follows at once. */
  events = (ex: Exchange, req: Request): void => {
    const token = new URLSearchParams(req.query).get('token');
    this.check(req.headers.authorization ?? (token ? `Bearer ${token}` : undefined));
    const viewer = { stream: ex.sse(2000), backlogged: 0 };
    this.viewers.add(viewer);
    void this.frame().then((frame) => this.send(viewer, frame));
  };

  private file(name: string): StaticBody {
    let body = this.files.get(name);
    if (!body) this.files.set(name, (body = new StaticBody(readFileSync(PUBLIC + name))));
    return body;
  }

  private tick(): void {
    const total = this.metrics.eventsIngested;
    this.history.push(total - this.lastTotal);
    this.lastTotal = total;
    if (this.history.length > HISTORY_SECONDS) this.history.shift();
    for (const v of this.viewers) if (v.stream.closed) this.viewers.delete(v);
    if (this.viewers.size === 0 || this.building) return;
    this.building = true;
    this.frame()
      .then((frame) => {
        for (const v of this.viewers) this.send(v, frame);
      })
      .catch((err: unknown) => logger().warn({ err }, 'dashboard frame failed'))
      .finally(() => {
        this.building = false;
      });
  }

  private send(viewer: Viewer, frame: DashboardFrame): void {
    const { stream } = viewer;
    if (stream.closed) {
      this.viewers.delete(viewer);
      return;
    }
    const ok = stream.write(`data: ${JSON.stringify(frame)}\n\n`);
    viewer.backlogged = ok ? 0 : viewer.backlogged + 1;
    if (viewer.backlogged > MAX_BACKLOGGED_TICKS) {
      this.viewers.delete(viewer);
      stream.close();
    }
  }

  private async frame(): Promise<DashboardFrame> {
    const [stats, top, latest, series] = await Promise.all([this.metrics.shardMetrics(), this.top(), this.latest(), this.series()]);
    const now = Date.now();
    const history = this.history.slice();
    while (history.length < HISTORY_SECONDS) history.unshift(0);
    return {
      now,
      eventsPerSecond: history,
      eventsIngested: this.metrics.eventsIngested,
      shards: this.shards.links.map((c, k) => {
        const s = stats[k];
        return {
          shard: c.shard,
          up: s !== null && s !== undefined,
          pendingEvents: c.pendingEvents,
          uncommittedFrames: s?.uncommittedFrames ?? null,
          logSeq: s?.logSeq ?? null,
          snapshotAgeSeconds: s && s.snapshotAt !== null ? Math.max(0, (now - s.snapshotAt) / 1000) : null,
          users: s?.users ?? null,
          pairs: s?.pairs ?? null,
          movies: s?.movies ?? null,
          rssBytes: s?.rssBytes ?? null,
        };
      }),
      top,
      latest,
      series,
    };
  }

  /** The overall minute series of the last hour, from the shards' partials (empty while a shard is down). */
  private async series(): Promise<DashboardFrame['series']> {
    const to = Date.now();
    const from = to - SERIES_MINUTES * 60_000;
    try {
      return mergeSeries(await this.shards.queryAll({ op: 'series', slug: null, step: 'minute', from, to })) ?? [];
    } catch {
      return [];
    }
  }

  private async top(): Promise<DashboardFrame['top']> {
    try {
      const items = await topMoviesOf(this.shards, TOP);
      return items.map(({ slug, watchTime, viewers }) => ({ slug, watchTime, viewers }));
    } catch {
      return []; // a shard is down: the shard table shows which
    }
  }

  private async latest(): Promise<LatestPair[]> {
    const parts = await Promise.allSettled(this.shards.links.map((c) => this.shards.query(c.shard, { op: 'latest', n: LATEST })));
    const all = parts.flatMap((p) => (p.status === 'fulfilled' ? p.value : []));
    all.sort((a, b) => b.updatedAt - a.updatedAt || compareNames(a.user, b.user));
    return all.slice(0, LATEST);
  }
}
