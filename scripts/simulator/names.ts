import type { Rng } from './random.js';

/** The contract's name limits (CONTRACT §2): 1..256 UTF-16 units, no control characters. */
export const NAME_MAX = 256;
const CONTROL = /[\u0000-\u001F\u007F]/;

/**
 * Fragments for the "odd" share of names: non-Latin scripts, astral emoji and ZWJ sequences,
 * combining marks, bidi and zero-width characters, and the characters that break naive URL or
 * object handling (`/`, `%`, `?`, `#`, `+`, spaces, dot segments, `__proto__`).
 */
const ODD_USERS = [
  'José Ñúñez',
  'Zoë Ørsted',
  'Łukasz Żółć',
  '名前 テスト',
  '김민준',
  'Ἀθηνᾶ',
  'مرحبا بالعالم',
  'שלום',
  '🎬 fan',
  '👩‍👩‍👧 family',
  'a/b c',
  '100% legit',
  '%2F not decoded',
  '%',
  '?q=1&x=2#frag',
  'plus+sign',
  'semi;colon',
  'back\\slash',
  '"quoted"',
  "it's",
  '<b>tag</b>',
  '  padded  ',
  '..',
  '.',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'e\u0301 combining',
  'rtl \u202Eoverride',
  'zero\u200Bwidth',
  'nbsp\u00A0here',
  'Ω≈ç√∫ ∑',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '/leading/slash/',
  'trailing%20',
  'tab→arrow',
  '\uFEFFbom',
];

const ODD_SLUGS = [
  'Amélie (2001)',
  'Crouching Tiger / Hidden Dragon',
  '100% Wolf',
  '千と千尋の神隠し',
  'Star Wars: Episode IV',
  'Se7en?',
  '#Alive',
  'Movie & TV',
  'Léon: The Professional',
  'WALL·E',
  "Ocean's 11",
  '"The" Movie',
  '../../etc/passwd',
  'a%2Fb',
  '🍿 night',
  'Ölümsüz Aşk',
  'Война и мир',
  'क़िस्सा',
  'x+y=z',
  'C:\\Films\\x',
  '__proto__',
  'constructor',
  '%E2%82%AC euro',
  'space  double',
  '🏳️‍🌈 pride',
];

/** Long names are built from this until they reach exactly 256 UTF-16 units. */
const LONG_PATTERN = 'ab/c% é 名🎥 ';

export interface NameOptions {
  /** Share (0..1) of names taken from the odd pools. */
  oddShare: number;
  /** Appended to every name so that runs against the same DATA_DIR do not share users or movies. */
  tag: string;
}

/** `count` distinct valid names: `prefix-<i>` mostly, odd ones at `oddShare`, a few 256 units long. */
export function makeNames(kind: 'user' | 'movie', count: number, rng: Rng, opts: NameOptions): string[] {
  const pool = kind === 'user' ? ODD_USERS : ODD_SLUGS;
  const tail = opts.tag === '' ? '' : `@${opts.tag}`;
  const names: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    let name: string;
    if (rng.chance(opts.oddShare)) {
      const suffix = ` #${i}${tail}`;
      name = rng.chance(0.05) ? padTo(LONG_PATTERN, NAME_MAX - suffix.length) + suffix : rng.pick(pool) + suffix;
    } else {
      name = `${kind}-${i}${tail}`;
    }
    const problem = nameProblem(name);
    if (problem) throw new Error(`generated an invalid ${kind} name ${JSON.stringify(name)}: ${problem}`);
    if (seen.has(name)) throw new Error(`generated the ${kind} name ${JSON.stringify(name)} twice`);
    seen.add(name);
    names.push(name);
  }
  return names;
}

/** `pattern` repeated and cut to at most `units` UTF-16 units, never inside a surrogate pair. */
function padTo(pattern: string, units: number): string {
  let s = '';
  while (s.length < units) s += pattern;
  s = s.slice(0, units);
  return s.isWellFormed() ? s : s.slice(0, -1);
}

/** Why the contract would reject `name`, or null if it is valid. */
export function nameProblem(name: string): string | null {
  if (name.length < 1 || name.length > NAME_MAX) return `length ${name.length} is outside 1..${NAME_MAX}`;
  if (CONTROL.test(name)) return 'contains a control character';
  if (!name.isWellFormed()) return 'contains a lone surrogate';
  return null;
}

/** True if the name needs more than plain ASCII letters, digits and `-_.@` to be sent or queried. */
export function isOdd(name: string): boolean {
  return !/^[A-Za-z0-9_.@-]+$/.test(name);
}

/** A run tag: short, URL-safe, different on every run unless given. */
export function randomTag(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}
