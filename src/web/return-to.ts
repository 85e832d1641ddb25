// Where a person goes after signing in: back to the page they were on when the app sent them to sign in
// (a protected action, an ended session), through `?next=`. Only a path on this site is ever followed:
// anything else would make MiniTwit's sign-in page a redirect to another site (an open redirect).

/** A backslash, or a control character. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\\\u0000-\u001f\u007f]/;

/** A stand-in origin: a path resolved against it and still on it is a path of ours. */
const OURS = 'http://minitwit.invalid';

/**
 * `value` as a path on this site to send someone to, or undefined. Refused: anything not starting with one
 * `/`, so no `//host` or `https://host`; a backslash anywhere (browsers read `/\host` as `//host`); control
 * characters (browsers drop tabs and newlines, so `/<tab>/host` would become `//host`).
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  if (!/^\/(?![/\\])/.test(value) || UNSAFE.test(value)) return undefined;
  if (!URL.canParse(value, OURS)) return undefined;
  const url = new URL(value, OURS);
  return url.origin === OURS ? url.pathname + url.search : undefined;
}

/** The sign-in page, to come back to `path` after. */
export const signInPath = (path: string) => `/login?next=${encodeURIComponent(path)}`;
