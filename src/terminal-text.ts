// Text from users (messages, names, URLs, headers) on its way to a terminal: logs and the ops tools'
// output. A terminal acts on control characters (ESC starts sequences that move the cursor, clear the
// screen, set the window title; C1's CSI does the same in one byte) and bidi controls reorder what
// follows. Both are shown as visible escapes instead (`\u001b`, `\u202e`).

/** C0 controls but newline and tab, DEL, C1 controls, bidi controls, line and paragraph separators. */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw of the above (it escapes C0 itself). */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeOf = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control and bidi character shown as `\uXXXX` (newlines and tabs too, if `oneLine`). */
export function showControls(text: string, { oneLine = false } = {}): string {
  const shown = text.replace(CONTROL, escapeOf);
  return oneLine ? shown.replace(/[\n\t]/g, escapeOf) : shown;
}

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
