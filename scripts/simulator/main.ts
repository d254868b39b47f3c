import { dispatch } from './dispatcher.js';
import { HttpClient } from './http-client.js';
import { isOdd, makeNames, randomTag } from './names.js';
import { parseOptions, UsageError, USAGE, type Options } from './options.js';
import { Oracle } from './oracle.js';
import { Rng, Zipf } from './random.js';
import { Progress, summary } from './report.js';
import { EventSender } from './sender.js';
import { Stats } from './stats.js';
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
export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr }, stop: AbortSignal = new AbortController().signal): Promise<number> {
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
  const model = new ViewerModel({ users, slugs, durations: movieDurations(opts.movies, opts.seed), popularity: new Zipf(opts.movies, opts.zipf) }, opts.behaviour, opts.seed);
  const oracle = new Oracle(opts.behaviour.maxStep);
  const client = new HttpClient(opts.url, opts.concurrency, opts.timeoutMs, { post: opts.ingestToken, get: opts.queryToken });

  try {
    const bound = [opts.events !== null ? `${opts.events} events` : '', opts.durationMs !== null ? `${opts.durationMs / 1000} s` : ''].filter(Boolean).join(' or ');
    say(
      `simulate: ${opts.url}, ${opts.viewers} viewers (${users.filter(isOdd).length} odd names), ${opts.movies} movies (${slugs.filter(isOdd).length} odd),` +
        ` ${bound}, batch ${opts.batchMin === opts.batchMax ? opts.batchMin : `${opts.batchMin}-${opts.batchMax}`}, concurrency ${opts.concurrency},` +
        ` rate ${opts.rate || 'unlimited'}, seed ${opts.seed}, tag ${JSON.stringify(tag)}, WATCH_MAX_STEP ${opts.behaviour.maxStep}, idempotency keys ${opts.idempotencyKeys ? 'on' : 'off'}`,
    );
    if (!(await waitReady(client, opts.waitReadyMs, stop))) {
      io.err.write(`simulate: ${opts.url}/readyz did not answer 200 within ${opts.waitReadyMs / 1000} s; is the service running?\n`);
      return 1;
    }

    const stats = new Stats();
    const progress = new Progress(stats, { events: opts.events, durationMs: opts.durationMs }, io.err, opts.progressEveryMs);
    progress.start();
    const sender = new EventSender(client, {
      maxAttempts: opts.maxAttempts,
      retryForMs: opts.retryForMs,
      backoffMinMs: 50,
      backoffMaxMs: 2000,
    }, opts.idempotencyKeys);
    try {
      await dispatch(model, sender, oracle, stats, { ...opts }, () => stop.aborted);
    } finally {
      stats.finishedAt = performance.now();
      progress.stop();
    }
    for (const line of summary(stats)) say(line);
    let failed = stats.failed > 0 || stats.anomalies.length > 0;
    if (stop.aborted) say('interrupted: sending stopped early');

    if (opts.verify) {
      const report = await verify(client, oracle, opts.concurrency);
      for (const line of reportLines(report)) say(line);
      if (report.mismatches > 0) failed = true;
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
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
