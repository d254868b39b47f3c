import { Worker } from 'node:worker_threads';
import { WtError } from './errors.js';
import { logger } from './log.js';

export const SHUTDOWN_LIMIT_MS = 15_000;

/** How long after the timer's exit a blocked main thread is killed from outside it. */
const KILL_GRACE_MS = 2_000;

/**
 * A shutdown that hangs must not outlive the operator's patience (the contract allows 20 s).
 * The timer needs a running event loop; a main thread blocked in native code (seen: orphaned
 * shards parked in a futex for half an hour, e.g. waiting on an LMDB lock) never runs it, so a
 * watchdog thread kills the process from outside the main thread if the timer has not.
 */
function exitIfStillRunningAfter(why: string): void {
  setTimeout(() => {
    logger().error(`shutdown after ${why} took over ${SHUTDOWN_LIMIT_MS} ms; exiting`);
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS).unref();
  const watchdog = new Worker(`setTimeout(() => process.kill(${process.pid}, 'SIGKILL'), ${SHUTDOWN_LIMIT_MS + KILL_GRACE_MS});`, { eval: true });
  watchdog.unref();
}

/**
 * Runs a process's `main` (the front, a shard, preflight). An error that carries an exit code
 * (WtError.exitCode: a bad setting, a DATA_DIR written with another SHARDS) is reported in one
 * line through `report` and exits with that code; anything else is a bug: logged with its
 * stack, exit 1.
 */
export function runMain(name: string, main: () => void | Promise<void>, report: (message: string) => void = (m) => logger().fatal(m)): void {
  const fail = (err: unknown): void => {
    if (err instanceof WtError && err.exitCode !== undefined) {
      report(err.message);
      process.exit(err.exitCode);
    }
    logger().fatal({ err }, `${name} failed: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  };
  try {
    main()?.catch(fail);
  } catch (err) {
    fail(err);
  }
}

/** Calls `stop` once on SIGINT or SIGTERM (pm2-runtime sends SIGINT; supervisors send SIGTERM). */
export function onShutdownSignal(stop: (signal: string) => void): void {
  let called = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (called) return;
      called = true;
      exitIfStillRunningAfter(signal);
      stop(signal);
    });
  }
}

/**
 * Under pm2, a fork-mode app has its own process group and an IPC channel to the pm2 daemon.
 * If the daemon dies (even by SIGKILL) the channel closes: stop then rather than live on as an
 * orphan holding the port or a shard's data.
 */
export function exitWithParent(stop: () => void): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    exitIfStillRunningAfter('the parent process exited');
    stop();
  };
  if (process.connected) process.on('disconnect', once);
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) once();
  }, 1000);
  timer.unref();
}
