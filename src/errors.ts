/** sysexits.h EX_CONFIG: a process refused to start on a bad setting; restarting it will not help. */
export const EX_CONFIG = 78;

/**
 * The base of every error the service raises on purpose. `code` is stable (what a program or a
 * test matches on; for API errors the contract's `error` field); `name` is the class's name (what
 * a log line shows). `exitCode` is set on errors a process stops on with a one-line reason (see
 * runMain); anything without it is a bug, logged with its stack.
 */
export class WtError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
