/** Errors of cluster mode; each message is one line a person can act on. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** The log moved past the sequence this writer expected: another owner appended. Stop serving, rebuild. */
export class Fenced extends Error {
  override name = 'Fenced';
  constructor(
    readonly partition: number,
    readonly expected: number,
    readonly last: number | undefined,
  ) {
    super(`partition ${partition}: fenced, expected last sequence ${expected} but the log is at ${last ?? 'an unknown sequence'}`);
  }
}

/** This process's lease on the partition is no longer valid by its own clock: it must not append or acknowledge. */
export class NotOwner extends Error {
  override name = 'NotOwner';
  constructor(
    readonly partition: number,
    why: string,
  ) {
    super(`partition ${partition}: not the owner (${why})`);
  }
}

/** Replay found a record whose writer expected another predecessor: the log forked or lost a record. */
export class ForkDetected extends Error {
  override name = 'ForkDetected';
  constructor(
    readonly partition: number,
    readonly seq: number,
    readonly prev: number,
    readonly expectedPrev: number,
  ) {
    super(`partition ${partition}: record ${seq} was written after ${prev}, but the log's previous record is ${expectedPrev}`);
  }
}

/** Replay received nothing for a while with records still to read: read on from the last one applied. */
export class ReplayStalled extends Error {
  override name = 'ReplayStalled';
  constructor(
    readonly partition: number,
    readonly at: number,
    readonly until: number,
    ms: number,
  ) {
    super(`partition ${partition}: replay received no record for ${ms} ms at ${at} of ${until}`);
  }
}

/** The appender stopped (closed, fenced, lease lost or gave up retrying); nothing more goes through it. */
export class AppenderClosed extends Error {
  override name = 'AppenderClosed';
}

/** An append whose outcome is unknown (no answer before giving up): the record may or may not be stored. */
export class AppendUnconfirmed extends Error {
  override name = 'AppendUnconfirmed';
  constructor(
    readonly partition: number,
    cause: unknown,
  ) {
    super(
      `partition ${partition}: append not confirmed (${cause instanceof Error ? cause.message : String(cause)}); rebuild from the log before serving it again`,
      { cause },
    );
  }
}
