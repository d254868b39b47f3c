import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import t from 'tap';
import { ROOT, Service, sleep } from '../helpers/service.js';

/**
 * The dashboard in a real browser: headless Debian chromium driven by playwright-core opens
 * /dashboard while events are posted, and the numbers on the page change. Also /docs renders with
 * nothing loaded from anywhere but the service. Screenshots go to test/artifacts/.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test/artifacts');

if (!existsSync(CHROMIUM)) {
  t.fail(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`);
  t.end();
} else {
  const svc = await Service.start({ shards: 2 });
  const profile = mkdtempSync(join(tmpdir(), 'wt-chromium-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
  });
  t.teardown(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
    await svc.dispose();
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const origin = new URL(svc.url).origin;

  /** Every request the page makes must go to the service (no CDN, works offline). */
  const watch = (page: Page): string[] => {
    const foreign: string[] = [];
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(origin) && !url.startsWith('data:')) foreign.push(url);
    });
    return foreign;
  };
  const text = async (page: Page, selector: string): Promise<string> => (await page.textContent(selector))?.trim() ?? '';

  t.test('the dashboard updates live while events are posted', async (t) => {
    const page = await browser.newPage();
    const foreign = watch(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${svc.url}/dashboard`);
    // Page-side expressions are strings: this project compiles without the DOM library.
    await page.waitForFunction(`document.querySelector('#status').className.includes('live') && document.querySelector('#total').textContent !== '–'`, null, {
      timeout: 15_000,
    });
    const totalBefore = await text(page, '#total');
    const pairsBefore = await text(page, '#pairs');
    t.equal(totalBefore, '0', 'no events yet');

    // Post for about 4 s: 40 requests of 5 events, new users each time (bounded, 127.0.0.1 only).
    let posted = 0;
    for (let i = 0; i < 40; i++) {
      const batch = Array.from({ length: 5 }, (_, j) => ({ user: `viewer-${i}-${j}`, slug: `film-${j % 3}`, at: 10 * i }));
      const r = await svc.post(batch);
      t.equal(r.status, 200);
      posted += r.body.accepted as number;
      // A second heartbeat for the same pairs 10 s later: watch time grows, so top movies have totals.
      await svc.post(batch.map((e) => ({ ...e, at: e.at + 10 })));
      posted += 5;
      await sleep(100);
    }
    await page.waitForFunction(`document.querySelector('#total').textContent === new Intl.NumberFormat('en').format(${posted})`, null, { timeout: 15_000 });
    const totalAfter = await text(page, '#total');
    const pairsAfter = await text(page, '#pairs');
    t.not(totalAfter, totalBefore, `events ingested went ${totalBefore} → ${totalAfter}`);
    t.not(pairsAfter, pairsBefore, `pairs went ${pairsBefore} → ${pairsAfter}`);
    t.equal(pairsAfter, '200');
    const bars = await page.$$eval('#chart rect', (rects) => rects.filter((r) => Number(r.getAttribute('height')) > 0).length);
    t.ok(bars > 0, `${bars} non-empty seconds in the events/s chart`);
    const top = await page.$$eval('#top tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    t.same([...top].sort(), ['film-0', 'film-1', 'film-2'], 'top movies listed');
    const latest = await page.$$eval('#latest tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent ?? ''));
    t.ok(latest.length > 0 && latest.every((u) => u.startsWith('viewer-')), 'latest events listed');
    const shards = await page.$$eval('#shards tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    t.same(shards, ['up', 'up'], 'both shards up');
    t.same(errors, [], 'no script errors');
    t.same(foreign, [], 'nothing loaded from outside the service');
    const shot = join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.comment(`dashboard screenshot: ${shot}`);
    console.log(`# dashboard screenshot: ${shot}`);
    t.ok(existsSync(shot));

    // The overall watch-time series (§5.4) joins the events/s chart.
    const minutes = await page.$$eval('#series rect', (rects) => rects.filter((r) => Number(r.getAttribute('height')) > 0).length);
    t.ok(minutes > 0, `${minutes} non-empty minutes in the overall watch-time chart`);

    // Pick a movie: its retention curve and watch-time series (§5.3, §5.4) are drawn.
    const put = await fetch(`${svc.url}/movies/film-0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: 600, title: 'Film Zero' }),
    });
    t.equal(put.status, 200);
    const options = await page.$$eval('#movies option', (els) => els.map((o) => o.getAttribute('value')));
    t.ok(options.includes('film-0'), 'the top movies are offered to pick from');
    await page.fill('#movie', 'film-0');
    await page.click('#pick button');
    await page.waitForFunction(`document.querySelector('#movie-summary').textContent.includes('Film Zero')`, null, { timeout: 15_000 });
    const summary = await text(page, '#movie-summary');
    t.match(summary, /Film Zero \(film-0\) · duration 10 min 0 s · \d+ viewers · watched .* · 0 completed/, summary);
    const retention = (await (await fetch(`${svc.url}/movies/film-0/retention`)).json()) as { buckets: number[] };
    const drawn = await page.$$eval('#retention rect', (rects) => rects.map((r) => Number(r.getAttribute('height'))));
    t.equal(drawn.length, retention.buckets.length, `one bar per ${retention.buckets.length} retention buckets (to the duration)`);
    t.ok(drawn.filter((h) => h > 0).length > 0, 'the curve has viewers');
    t.equal(drawn.length, 20, '600 s in 30 s buckets');
    const movieMinutes = await page.$$eval('#movie-series rect', (rects) => rects.filter((r) => Number(r.getAttribute('height')) > 0).length);
    t.ok(movieMinutes > 0, 'the movie series has watch time');
    await page.fill('#movie', 'no-such-movie');
    await page.click('#pick button');
    await page.waitForFunction(`document.querySelector('#movie-summary').textContent.startsWith('no-such-movie:')`, null, { timeout: 15_000 });
    t.match(await text(page, '#movie-summary'), /No metadata or events/);
    await page.fill('#movie', 'film-0');
    await page.click('#pick button');
    await page.waitForFunction(`document.querySelector('#movie-summary').textContent.includes('Film Zero')`, null, { timeout: 15_000 });
    t.same(errors, [], 'no script errors');
    const movieShot = join(ARTIFACTS, 'dashboard-movie.png');
    await (await page.$('#insights'))!.screenshot({ path: movieShot });
    t.comment(`movie insights screenshot: ${movieShot}`);
    t.ok(existsSync(movieShot));
    t.same(foreign, [], 'nothing loaded from outside the service');
    await page.close();
  });

  t.test('/docs renders every operation with assets from the service only', async (t) => {
    const page = await browser.newPage();
    const foreign = watch(page);
    await page.goto(`${svc.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    const doc = (await svc.get('/openapi.json')).body as { paths: Record<string, object> };
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    const blocks = await page.$$eval('.opblock', (els) => els.length);
    t.equal(blocks, operations, `${operations} operations rendered`);
    t.same(foreign, [], 'nothing loaded from outside the service');
    const shot = join(ARTIFACTS, 'docs.png');
    await page.screenshot({ path: shot });
    t.comment(`docs screenshot: ${shot}`);
    await page.close();
  });
}
