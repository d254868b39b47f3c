import { finalCatalogue, planCatalogue, putCatalogue } from './catalogue.js';
import { dispatch } from './dispatcher.js';
import { HttpClient } from './http-client.js';
import { isOdd, makeNames, randomTag } from './names.js';
import { parseOptions, UsageError, USAGE, type Options } from './options.js';
import { Oracle } from './oracle.js';
import { Rng, Zipf } from './random.js';
import { Progress, summary } from './report.js';
import { EventSender } from './sender.js';
import { Stats } from './stats.js';
import { readSeries, type SeriesBaseline } from './verify-insights.js';
import { reportLines, verify } from './verify.js';
import { movieDurations, ViewerModel } from './viewers.js';

export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/**
 * The simulator: parse options, wait for the service, send, print the summary, verify.
 * Exit status: 0 all acknowledged (and verified), 1 failures or mismatches, 2 usage error.
 */
export async function main(
  argv: string[],
  io: Io = { out: process.stdout, err: process.stderr },
  stop: AbortSignal = new AbortController().signal,
): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err.write(`simulate: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    io.out.write(`${USAGE}\n`);
    return 0;
  }
  const say = (line: string): void => void io.out.write(`${line}\n`);

  const tag = opts.tag ?? randomTag();
  const nameRng = new Rng(opts.seed, 0);
  const users = makeNames('user', opts.viewers, nameRng, { oddShare: opts.oddNames, tag });
  const slugs = makeNames('movie', opts.movies, nameRng, { oddShare: opts.oddNames, tag });
  const durations = movieDurations(opts.movies, opts.seed);
  const model = new ViewerModel({ users, slugs, durations, popularity: new Zipf(opts.movies, opts.zipf) }, opts.behaviour, opts.seed);
  const oracle = new Oracle(opts.behaviour.maxStep, opts.insights);
  const plan = opts.v1 ? [] : planCatalogue(slugs, durations, opts.seed);
  const client = new HttpClient(opts.url, opts.concurrency, opts.timeoutMs, { post: opts.ingestToken, get: opts.queryToken });

  try {
    const bound = [opts.events !== null ? `${opts.events} events` : '', opts.durationMs !== null ? `${opts.durationMs / 1000} s` : '']
      .filter(Boolean)
      .join(' or ');
    say(
      `simulate: ${opts.url}, ${opts.viewers} viewers (${users.filter(isOdd).length} odd names), ${opts.movies} movies (${slugs.filter(isOdd).length} odd),` +
        ` ${bound}, batch ${opts.batchMin === opts.batchMax ? opts.batchMin : `${opts.batchMin}-${opts.batchMax}`}, concurrency ${opts.concurrency},` +
        ` rate ${opts.rate || 'unlimited'}, seed ${opts.seed}, tag ${JSON.stringify(tag)}, WATCH_MAX_STEP ${opts.behaviour.maxStep}, idempotency keys ${opts.idempotencyKeys ? 'on' : 'off'}`,
    );
    if (!(await waitReady(client, opts.waitReadyMs, stop))) {
      io.err.write(`simulate: ${opts.url}/readyz did not answer 200 within ${opts.waitReadyMs / 1000} s; is the service running?\n`);
      return 1;
    }

    const before = await putCatalogue(client, plan, 'before', opts.concurrency);
    if (!opts.v1) say(`catalogue: PUT ${before.put} movies before the events${before.problems.length ? `; ${before.problems.length} failed` : ''}`);
    for (const p of before.problems.slice(0, 5)) say(`  catalogue: ${p}`);
    const baseline = opts.verify && !opts.v1 ? await seriesBaseline(client, opts.exclusive) : null;

    const stats = new Stats();
    const progress = new Progress(stats, { events: opts.events, durationMs: opts.durationMs }, io.err, opts.progressEveryMs);
    progress.start();
    const sender = new EventSender(
      client,
      {
        maxAttempts: opts.maxAttempts,
        retryForMs: opts.retryForMs,
        backoffMinMs: 50,
        backoffMaxMs: 2000,
      },
      opts.idempotencyKeys,
    );
    try {
      await dispatch(model, sender, oracle, stats, { ...opts, minuteGuardMs: opts.verify ? 250 : 0 }, () => stop.aborted);
    } finally {
      stats.finishedAt = performance.now();
      progress.stop();
    }
    for (const line of summary(stats)) say(line);
    const after = await putCatalogue(client, plan, 'after', opts.concurrency);
    oracle.catalogue = finalCatalogue(plan);
    if (!opts.v1) {
      say(`catalogue: PUT ${after.put} movies after the events (new or changed durations)${after.problems.length ? `; ${after.problems.length} failed` : ''}`);
      for (const p of after.problems.slice(0, 5)) say(`  catalogue: ${p}`);
      say(
        `insights: ${stats.acked} events of which ${oracle.lateEvents} late or repeated (by ts); ${oracle.catalogue.size} of ${plan.length} movies with a duration`,
      );
    }
    let failed = stats.failed > 0 || stats.anomalies.length > 0 || before.problems.length > 0 || after.problems.length > 0;
    if (stop.aborted) say('interrupted: sending stopped early');

    if (opts.verify) {
      const report = await verify(client, oracle, opts.concurrency, { insights: !opts.v1, baseline });
      for (const line of reportLines(report)) say(line);
      if (report.mismatches > 0) failed = true;
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

/** GET /series by minute and by hour for the current minute and hour, before the run (see SeriesBaseline). */
async function seriesBaseline(client: HttpClient, exclusive: boolean): Promise<SeriesBaseline | null> {
  const now = Date.now();
  const out: SeriesBaseline = { minute: new Map(), hour: new Map(), exclusive };
  for (const [step, ms] of [
    ['minute', 60_000],
    ['hour', 3_600_000],
  ] as const) {
    const from = new Date(Math.floor(now / ms) * ms).toISOString();
    const to = new Date(now + 1).toISOString();
    let failed = false;
    const ctx = {
      read: async (path: string): Promise<Record<string, unknown> | null> => {
        const res = await client.request('GET', path);
        if (res.status !== 200) return null;
        return JSON.parse(res.body) as Record<string, unknown>;
      },
      expect: () => {},
      mismatch: () => void (failed = true),
    };
    const got = await readSeries(ctx, `/series?step=${step}&from=${from}&to=${to}`, 'baseline');
    if (!got || failed) return null;
    out[step] = got;
  }
  return out;
}

async function waitReady(client: HttpClient, timeoutMs: number, stop: AbortSignal): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      if ((await client.request('GET', '/readyz')).status === 200) return true;
    } catch {
      /* not listening yet */
    }
    if (performance.now() >= until || stop.aborted) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
