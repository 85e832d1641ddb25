// HTTP as the tools speak it: simulator requests over fetch, and signing in on the web pages as a browser does.
import { SIMULATOR_AUTHORIZATION } from '../replay/simulator-requests.js';

const headers = { 'content-type': 'application/json', authorization: SIMULATOR_AUTHORIZATION };

export async function call(url: string, method: 'GET' | 'POST' = 'GET', body?: unknown) {
  const reply = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  return { status: reply.status, text };
}

/** Fails loudly when a request that must succeed does not. */
export async function must(url: string, method: 'GET' | 'POST', body: unknown, status: number) {
  const reply = await call(url, method, body);
  if (reply.status !== status)
    throw new Error(`${method} ${url}: ${reply.status} ${reply.text.slice(0, 200)}`);
  return reply;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the cookies a reply sets in `jar`, and drops those it expires. */
function keepCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', value = ''] = attribute.trim().split('=');
      return (
        (key.toLowerCase() === 'max-age' && Number(value) <= 0) ||
        (key.toLowerCase() === 'expires' && Date.parse(value) <= Date.now())
      );
    });
    if (expired) jar.delete(name);
    else jar.set(name, pair.slice(at + 1));
  }
}

/**
 * Signs in through the web form and follows the redirect, as a browser does: the first page shows (and
 * clears) the "You were logged in" flash, so the cookie returned is the session's alone. (A flash left in
 * the cookie would make every page bypass the read cache: a browser that has just written sees its own
 * write; see src/web/timeline-routes.ts.) Throws unless the form answers 302 and the next page 200.
 */
export async function signIn(web: string, username: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieOf = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const login = await fetch(`${web}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
    redirect: 'manual',
  });
  if (login.status !== 302) throw new Error(`signing in as ${username}: ${login.status}, not 302`);
  keepCookies(jar, login);
  if (jar.size === 0) throw new Error(`signing in as ${username} set no cookie`);
  const landing = await fetch(new URL(login.headers.get('location') ?? '/', web), {
    headers: { cookie: cookieOf() },
  });
  await landing.text();
  if (landing.status !== 200) throw new Error(`the page after signing in: ${landing.status}, not 200`);
  keepCookies(jar, landing);
  return cookieOf();
}
