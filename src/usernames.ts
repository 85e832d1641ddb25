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
 * separators, and the Braille blank, a letter that renders as nothing.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u2800]/u;
/**
 * Unicode's Default_Ignorable_Code_Point: what a renderer draws as nothing unless it knows it (variation
 * selectors U+FE00-FE0F and U+E0100-E01EF, Mongolian and Khmer ones, Hangul fillers, joiners, tags, ...).
 * UTS #31 leaves every one of them out of identifiers and UTS #39 removes them from skeletons. The
 * property comes from the engine's own Unicode data (V8's ICU), so a new version's additions are in it.
 */
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const DEFAULT_IGNORABLES = /\p{Default_Ignorable_Code_Point}/gu;
/**
 * The emoji sequences Unicode recommends (RGI_Emoji, a property of strings, hence the `v` flag): the one
 * place where a name may hold joiners, variation selectors and tags, which make up the emoji (👩🏽‍💻, ❤️,
 * the flag of Scotland). Built at run time: the compiler's target (ES2023) does not know the `v` flag.
 */
const RGI_EMOJI = new RegExp('\\p{RGI_Emoji}', 'gv');
/**
 * Combining marks drawn through the letter before them (canonical combining class 1, "overlay", from
 * UnicodeData.txt): o + U+0338 looks like ø but is not it, and a reader cannot tell which one a name
 * holds. UTS #39 (5.4) advises against marks that merge into their letter.
 */
const OVERLAY_MARK =
  /[\u0334-\u0338\u1CD4\u1CE2-\u1CE8\u20D2\u20D3\u20D8-\u20DA\u20E5\u20E6\u20EA\u20EB\u{10A39}\u{16AF0}-\u{16AF4}\u{1BC9E}\u{1D167}-\u{1D169}]/u;

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

/** Latin small capitals (UnicodeData: LATIN LETTER SMALL CAPITAL X): with case ignored, ᴀ is an A. */
const SMALL_CAPITALS = new Map(
  [...'ᴀaʙbᴄcᴅdᴇeꜰfɢgʜhɪiᴊjᴋkʟlᴍmɴnᴏoᴘpꞯqʀrꜱsᴛtᴜuᴠvᴡwʏyᴢzᴁæɶœ'.matchAll(/(.)(.)/gu)].map(
    ([, cap, letter]) => [cap!, letter!],
  ),
);
const SMALL_CAPITAL = new RegExp(`[${[...SMALL_CAPITALS.keys()].join('')}]`, 'gu');
/** A dot above on a letter that has a dot (i, j, ...): UTS #39 (5.4), i + U+0307 looks like i. */
const DOT_ON_DOTTED = /(?<=\p{Soft_Dotted})\u0307/gu;

/**
 * A name with case and compatibility differences folded away: Unicode's NFKC_Casefold (ℂ is C, ﬁ is fi,
 * Ａ is A, ß is ss, default ignorables removed), as JavaScript can compute it (upper then lower case is
 * full case folding for these purposes: ß → SS → ss, final and medial sigma meet), then Latin small
 * capitals as their letters and a dot above an i as nothing.
 */
function foldName(name: string): string {
  return name
    .replace(DEFAULT_IGNORABLES, '')
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(DEFAULT_IGNORABLES, '')
    .replace(SMALL_CAPITAL, (capital) => SMALL_CAPITALS.get(capital)!)
    .normalize('NFD')
    .replace(DOT_ON_DOTTED, '');
}

/** UTS #39's skeleton, with Unicode's confusables table from unhomoglyph. */
const confusablesSkeleton = (name: string) =>
  unhomoglyph(name.normalize('NFD').replace(DEFAULT_IGNORABLES, '')).normalize('NFD');

/**
 * Folding and the skeleton, repeated until neither changes anything: each can give the other something
 * new to do (the skeleton maps 0 to O, folding then O to o).
 */
function settle(name: string): string {
  let skeleton = name;
  for (let round = 0; round < 4; round++) {
    const next = confusablesSkeleton(foldName(skeleton));
    if (next === skeleton) break;
    skeleton = next;
  }
  // Runs of spaces count as one, as a page shows them.
  return skeleton.replace(/\s+/gu, ' ');
}

/**
 * What a name looks like, for comparing names, computed two ways, since a look-alike and a case
 * difference do not add up to one relation ("Ivan" looks like "lvan" and is "ivan" in another case, but
 * "ivan" does not look like "lvan"):
 * - `folded`: case and compatibility forms folded first (foldName), then UTS #39's skeleton: "ALICE",
 *   "ℂarol" and "ᴀlice" share one with "alice" and "carol";
 * - `asWritten`: the skeleton of the name as written first, then folded: "Ivan" (capital I, which looks
 *   like l) shares one with "lvan", and the Cyrillic "ВОВ" with "BOB".
 * Two names look alike when any of the one's skeletons is one of the other's. Stored in users
 * (username_skeleton, username_skeleton_as_written): changing what this returns needs a migration that
 * clears them, so that the next start recomputes them (as 005_name_folding.sql does).
 */
export function nameSkeletons(name: string): { folded: string; asWritten: string } {
  return { folded: settle(name), asWritten: settle(confusablesSkeleton(name)) };
}

/** The sign-up rule a name breaks, by kind (the importer counts skipped names by it). */
export type UsernameRule = 'dots' | 'reserved' | 'edge space' | 'invisible' | 'overlay mark';

/** Which rule `name` (already NFC) breaks and why, in words for the person choosing it; undefined if none. */
export function usernameRuleBroken(name: string): { rule: UsernameRule; problem: string } | undefined {
  const quoted = JSON.stringify(name);
  if (name === '.' || name === '..')
    return { rule: 'dots', problem: `The username ${quoted} is not a name: it means a folder in an address` };
  if (RESERVED_NAMES.has(name.toLowerCase()))
    return {
      rule: 'reserved',
      problem: `The username ${quoted} is reserved: MiniTwit has a page at /${name}`,
    };
  if (/^\s|\s$/u.test(name))
    return { rule: 'edge space', problem: 'The username may not begin or end with a space' };
  const outsideEmoji = name.replace(RGI_EMOJI, '');
  if (HIDDEN.test(outsideEmoji) || DEFAULT_IGNORABLE.test(outsideEmoji))
    return {
      rule: 'invisible',
      problem: 'The username may not contain invisible, control or text-direction characters',
    };
  if (OVERLAY_MARK.test(name))
    return {
      rule: 'overlay mark',
      problem: 'The username may not contain a mark drawn through a letter (such as o + U+0338 for ø)',
    };
  return undefined;
}

/** Why `name` (already NFC) cannot be a username, in words for the person choosing it; undefined if it can. */
export const usernameProblem = (name: string): string | undefined => usernameRuleBroken(name)?.problem;

/** Why `name` mixes scripts it may not (see mixesScripts); checked after the look-alike check, which says more. */
export function scriptProblem(name: string): string | undefined {
  return mixesScripts(name)
    ? 'The username may not mix letters of scripts that look alike (such as Latin with Cyrillic or Greek)'
    : undefined;
}
