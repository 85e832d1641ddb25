// Text from users (messages, names, URLs, headers) on its way to a terminal: logs and the ops tools'
// output. A terminal acts on control characters (ESC starts sequences that move the cursor, clear the
// screen, set the window title; C1's CSI does the same in one byte) and bidi controls reorder what
// follows. Both are shown as visible escapes instead (`\u001b`, `\u202e`).

/** What JSON.stringify leaves raw of DEL, C1 and the bidi controls and separators (it escapes C0 itself). */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeOf = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A JSON line with the characters JSON leaves raw written as JSON escapes instead: the same JSON (it
 * parses to exactly the same values, so Elasticsearch sees what was logged), safe to print.
 */
export const escapeJsonLine = (line: string): string => line.replace(RAW_IN_JSON, escapeOf);

/**
 * A JSON line for a person: as escapeJsonLine, and every JSON escape of a control character (`\u001b`,
 * `\r`, ...) but newline and tab doubled, so that a reader of the JSON sees the escape as text.
 */
export const showEscapesInJsonLine = (line: string): string =>
  escapeJsonLine(line).replace(/\\(\\|u[0-9a-fA-F]{4}|[bfr])/g, (escape, what: string) =>
    what === '\\' ? escape : `\\${escape}`,
  );

/**
 * What a reader cannot see, or cannot tell from a space: controls and format characters, every
 * Default_Ignorable code point (zero-width spaces, variation selectors, fillers, tags), separators other
 * than the space itself, private-use, unassigned and surrogate code points, and the Braille blank.
 */
const INVISIBLE =
  /(?! )[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zs}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}\u2800]/gu;

const escapeCodePoint = (char: string) => {
  const code = char.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `text` on one line with every invisible character shown as `\uXXXX` (`\u{XXXXX}` beyond the BMP): for
 * a person who must see exactly what a user wrote (the moderator's `minitwit flag --list`). Emoji that join
 * with U+200D or take U+FE0F show those as escapes too.
 */
export const showInvisible = (text: string): string => text.replace(INVISIBLE, escapeCodePoint);
