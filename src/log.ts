import { pino, stdTimeFunctions, type Logger } from 'pino';

export type { Logger };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL [info]: one of fatal, error, warn, info, debug (request lines), trace, silent. */
export function logLevel(env: Record<string, string | undefined> = process.env): string {
  const level = (env.LOG_LEVEL ?? '').trim().toLowerCase();
  return LEVELS.includes(level) ? level : 'info';
}

/**
 * The JSON-lines logger of one process. Every line carries `level` (as a word), `time` (ISO-8601),
 * `process` ("front", "shard", "wt"), `pid`, and the given bindings (a shard's lines: `shard`).
 * Errors go under `err` (type, message, stack) with the context of what failed beside them.
 * Writes to stdout (buffered, flushed on exit, so a line logged just before `process.exit` is not
 * lost); pm2 appends stdout to its log files (see README, Operations).
 */
export function createLogger(processName: string, bindings: Record<string, string | number> = {}): Logger {
  return pino({
    level: logLevel(),
    base: { process: processName, pid: process.pid, ...bindings },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

let current: Logger | null = null;

/** Sets up this process's logger (its main module calls this first); returns it. */
export function initLogger(processName: string, bindings: Record<string, string | number> = {}): Logger {
  current = createLogger(processName, bindings);
  return current;
}

/** This process's logger: the one `initLogger` made, or a plain one for code run outside a service process. */
export function logger(): Logger {
  return (current ??= createLogger('node'));
}
