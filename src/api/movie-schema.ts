import { Type, type Static } from 'typebox';
import { CONTROL_CHAR, NAME_MAX } from './event-schema.js';

export const DURATION_MIN = 1;
export const DURATION_MAX = 1e6;

/** A movie's title: 1..256 characters, no control characters (like names). */
export const Title = Type.String({
  minLength: 1,
  maxLength: NAME_MAX,
  pattern: `^[^${CONTROL_CHAR}]*$`,
  description: '1..256 UTF-16 code units; no control characters (U+0000-U+001F, U+007F)',
});

/** PUT /movies/{slug} body (CONTRACT §5.2). Extra properties are ignored. */
export const MovieBody = Type.Object({
  duration: Type.Number({ minimum: DURATION_MIN, maximum: DURATION_MAX, description: 'length of the movie in seconds, 1..1e6' }),
  title: Type.Optional(Title),
});

export type MovieBody = Static<typeof MovieBody>;
