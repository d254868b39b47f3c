/**
 * The benchmark's ceiling: the least a uWebSockets.js server must do for POST /events. It reads
 * the body, JSON-parses it, type-checks every event (user and slug strings, `at` a number) and
 * answers 200 {"accepted": N} (400 on a bad body), storing nothing; any GET gets 200 at once. One
 * process, no shards, no disk. The service is measured against it with the same wrk settings in the same run.
 *
 *   PORT=8080 HOST=127.0.0.1 node dist/bench/ceiling.js
 *
 * Prints "listening PORT" once it accepts connections; exits on SIGINT/SIGTERM or when its parent
 * process goes away (so it cannot outlive a bench that crashed).
 */
import uWS from 'uWebSockets.js';
import { exitWithParent } from './exit-with-parent.js';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

function isEvent(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as { user?: unknown; slug?: unknown; at?: unknown };
  return typeof e.user === 'string' && typeof e.slug === 'string' && typeof e.at === 'number';
}

/** Number of events in a valid body, or -1. */
function check(body: Buffer): number {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return -1;
  }
  if (!Array.isArray(value)) return isEvent(value) ? 1 : -1;
  for (const e of value) if (!isEvent(e)) return -1;
  return value.length;
}

const app = uWS.App().any('/*', (res, req) => {
  // A GET (the query floor of query-under-load) is answered at once: routing and nothing else.
  if (req.getCaseSensitiveMethod() === 'GET') {
    res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end('{"ceiling":true}');
    return;
  }
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const chunks: Buffer[] = [];
  res.onData((chunk, isLast) => {
    // uWS reuses the chunk's memory after this callback: copy it.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast || aborted) return;
    const n = check(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    res.cork(() => {
      res.writeStatus(n < 0 ? '400 Bad Request' : '200 OK');
      res.writeHeader('Content-Type', 'application/json');
      res.end(n < 0 ? '{"error":"invalid"}' : `{"accepted":${n}}`);
    });
  });
});

app.listen(host, port, (socket) => {
  if (!socket) {
    console.error(`ceiling: cannot listen on ${host}:${port}`);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});

exitWithParent();
