import { Type, type Static } from 'typebox';

export const NAME_MAX = 256;
export const AT_MAX = 1e9;
/** `ts` (CONTRACT §5.1): client time, integer ms since the epoch, 0..1e13. */
export const TS_MAX = 1e13;
/** The control characters names may not contain (U+0000-U+001F, U+007F). */
export const CONTROL_CHAR = '\\u0000-\\u001F\\u007F';

/** user and slug: 1..256 characters, no control characters. */
export const Name = Type.String({
  minLength: 1,
  maxLength: NAME_MAX,
  pattern: `^[^${CONTROL_CHAR}]*$`,
  description: '1..256 UTF-16 code units; no control characters (U+0000-U+001F, U+007F)',
});

/**
 * One heartbeat: `at` is the playback position in seconds, `ts` (optional) the client's clock when
 * it was produced. Extra properties are ignored.
 */
export const Event = Type.Object({
  user: Name,
  slug: Name,
  at: Type.Number({ minimum: 0, maximum: AT_MAX, description: 'playback position in seconds' }),
  ts: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: TS_MAX,
      description:
        "client time when the heartbeat was produced, integer ms since the Unix epoch; a heartbeat whose ts is not newer than the pair's latest is counted in lateEvents and changes nothing else",
    }),
  ),
});

export type Event = Static<typeof Event>;
