/**
 * A bench server (the ceiling, a peer) exits on SIGINT/SIGTERM or once the bench that started it
 * is gone, so it cannot outlive a bench that crashed. `cleanup` runs first (a peer stops its Redis).
 */
export function exitWithParent(cleanup: () => void = () => {}): void {
  const stop = (): void => {
    cleanup();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}
