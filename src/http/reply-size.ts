// Replies are capped in bytes as well as in items (issue 18, item 7): 1,000 messages of 10,000 four-byte
// characters were a 40 MB reply. A list stops at its last whole item within the cap, and says it was cut.

/** The header a cut list carries (described in the OpenAPI document, src/api/schemas.ts). */
export const TRUNCATED_HEADER = 'X-Truncated';

export interface CappedList<T> {
  /** The first items, as many as fit. */
  items: T[];
  /** The items as a JSON array (what JSON.stringify gives), at most the cap's bytes. */
  json: string;
  /** Whether items were left out to stay within the cap. */
  truncated: boolean;
}

/** The longest prefix of `items` whose JSON array is at most `maxBytes` bytes of UTF-8. */
export function jsonListWithin<T>(items: readonly T[], maxBytes: number): CappedList<T> {
  const parts: string[] = [];
  let bytes = 2; // the brackets
  for (const item of items) {
    const part = JSON.stringify(item);
    const size = Buffer.byteLength(part) + (parts.length > 0 ? 1 : 0); // and its comma
    if (bytes + size > maxBytes)
      return { items: items.slice(0, parts.length), json: `[${parts.join(',')}]`, truncated: true };
    parts.push(part);
    bytes += size;
  }
  return { items: [...items], json: `[${parts.join(',')}]`, truncated: false };
}
