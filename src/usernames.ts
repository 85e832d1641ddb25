// What makes a name a username: MiniTwit's rules for the names people sign up with. A profile lives at
// /<name>, pages print the name, logs and the moderator's terminal show it: so a name may not take a
// route's place, hide or reorder characters, or look like someone else's. Anything else a person might be
// called is welcome (accents, CJK, emoji, apostrophes, `+`, `%`, spaces inside: the simulator's spec).
import unhomoglyph from 'unhomoglyph';

/**
 * Paths the apps serve (first segments, compared without case): a user named `logout` would put a sign-out
 * link on the public timeline, one named `public` would have no reachable profile. A test builds both apps
 * and checks that every fixed route's first segment is here; the last three are well-known paths that
 * browsers and crawlers ask for.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  // the web pages (src/web) and their stylesheet
  'public',
  'login',
  'register',
  'logout',
  'add_message',
  'static',
  // the simulator API (src/api) and its documentation
  'latest',
  'msgs',
  'fllws',
  'docs',
  'openapi.json',
  // operations (src/observability)
  'metrics',
  'healthz',
  'readyz',
  // asked for by browsers and crawlers
  'favicon.ico',
  'robots.txt',
  '.well-known',
]);

/**
 * Characters that are invisible, reorder text or control a terminal: C0 and C1 controls, format
 * characters (bidi embeddings, overrides and isolates, zero-width spaces and joiners, the byte order mark,
 * soft hyphen, word joiner, invisible operators, tags), lone surrogates, private use, line and paragraph
 * separators, and the blank letters (Hangul fillers, the Braille blank) that render as nothing.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800]|\u034F/u;
/** What emoji sequences legitimately hold of the above: a joiner between two emoji, and flag tags. */
const EMOJI_JOINER =
  /(?<=\p{Extended_Pictographic}(?:\u{FE0F}|\p{Emoji_Modifier})?)\u200D(?=\p{Extended_Pictographic})/gu;
const EMOJI_TAGS = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;

/** Unicode's recommended scripts for identifiers (UTS #31, table 5), besides Common and Inherited. */
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Khmer',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
].map((name) => ({ name, pattern: new RegExp(`\\p{Script=${name}}`, 'u') }));
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;
/** Scripts that are written together (UTS #39's "highly restrictive" sets: Japanese, Chinese, Korean). */
const WRITTEN_TOGETHER = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];
/** Whose letters are look-alikes of Latin ones: never mixed with Latin in one name. */
const LOOKS_LATIN = new Set(['Greek', 'Cyrillic']);

function scriptOf(char: string): string | undefined {
  if (NEUTRAL.test(char)) return undefined;
  return SCRIPTS.find(({ pattern }) => pattern.test(char))?.name ?? 'another script';
}

/**
 * UTS #39's "moderately restrictive" level: one script; or Latin with the scripts Japanese, Chinese or
 * Korean writing mixes in; or Latin and one other script, unless that one is Greek or Cyrillic.
 */
function mixesScripts(name: string): boolean {
  const scripts = new Set([...name].map(scriptOf).filter((script) => script !== undefined));
  if (scripts.size <= 1) return false;
  if (WRITTEN_TOGETHER.some((set) => [...scripts].every((script) => set.includes(script)))) return false;
  if (scripts.size === 2 && scripts.has('Latin')) return [...scripts].some((s) => LOOKS_LATIN.has(s));
  return true;
}

/** Names are kept in Unicode's composed form (NFC): "é" typed one way or the other is one name. */
export const normaliseUsername = (name: string): string => name.normalize('NFC');

/**
 * What a name looks like, for comparing names (UTS #39's skeleton, with Unicode's confusables table from
 * unhomoglyph): "pаypal" with a Cyrillic а, "lvan" and "Ivan", "rnodern" and "modern" share one. Runs of
 * spaces count as one, as a page shows them.
 */
export function nameSkeleton(name: string): string {
  return unhomoglyph(name.normalize('NFD')).normalize('NFD').replace(/\s+/gu, ' ');
}

/** Why `name` (already NFC) cannot be a username, in words for the person choosing it; undefined if it can. */
export function usernameProblem(name: string): string | undefined {
  const quoted = JSON.stringify(name);
  if (name === '.' || name === '..')
    return `The username ${quoted} is not a name: it means a folder in an address`;
  if (RESERVED_NAMES.has(name.toLowerCase()))
    return `The username ${quoted} is reserved: MiniTwit has a page at /${name}`;
  if (/^\s|\s$/u.test(name)) return 'The username may not begin or end with a space';
  if (HIDDEN.test(name.replace(EMOJI_JOINER, '').replace(EMOJI_TAGS, '')))
    return 'The username may not contain invisible, control or text-direction characters';
  return undefined;
}

/** Why `name` mixes scripts it may not (see mixesScripts); checked after the look-alike check, which says more. */
export function scriptProblem(name: string): string | undefined {
  return mixesScripts(name)
    ? 'The username may not mix letters of scripts that look alike (such as Latin with Cyrillic or Greek)'
    : undefined;
}
