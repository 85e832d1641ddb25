// Cross-site request forgery: another site must not make a signed-in browser post, follow, unfollow, sign
// in, register or sign out. Two walls, each enough on its own where it applies:
//
// 1. Where the browser came from (onRequest), for every request that changes state:
//    - Sec-Fetch-Site (browsers send it to secure origins; a page cannot forge it): only `same-origin`;
//      `none` (typed into the address bar, a bookmark) too for POSTs, but not for the GETs that change
//      state, because a link opened from a mail or chat app also arrives as `none`;
//    - else Origin (sent with POSTs): it must be our own scheme and host.
//    Over plain HTTP a browser sends no Sec-Fetch-*, and following a link no Origin either; the
//    session's SameSite=Lax cookie still rides along on a top-level GET. Hence:
//
// 2. The session's token (preHandler), for what acts as the signed-in user (follow, unfollow, sign-out,
//    posting): our pages put it in those links (`?token=`) and in the twitbox form (a hidden
//    `csrf_token`), and a request that LOOKS LIKE A BROWSER's is refused without the right one. A request
//    looks like a browser's when it carries any header that browsers send and plain HTTP clients do not:
//    Sec-Fetch-*, Upgrade-Insecure-Requests, Origin, Referer, an Accept that asks for text/html, or a
//    User-Agent starting with "Mozilla/" (every browser's does). The course's HTTP tests (python-requests:
//    Accept */*, its own User-Agent) and curl send none of these: they are not browsers carrying a
//    victim's cookie, and need no token. Signing in and up need none either: there is no session yet
//    (wall 1 and SameSite cover them).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/errors.js';
import { hasSession, isSessionToken } from './session.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A GET that changes state (follow, unfollow, logout): guarded like a POST. */
    changesState?: boolean;
    /** Acts as the signed-in user: a browser's request must carry the session's token. */
    needsSessionToken?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why the request must be refused, or undefined when it may go on. */
function crossSiteReason(request: FastifyRequest): string | undefined {
  const safe = SAFE_METHODS.has(request.method) && !request.routeOptions.config.changesState;
  if (safe) return undefined;
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    if (site === 'same-origin' || (site === 'none' && !SAFE_METHODS.has(request.method))) return undefined;
    return `the request came from ${site === 'none' ? 'outside MiniTwit' : `another site (${site})`}`;
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== `${request.protocol}://${request.host}`)
    return `the request came from another origin (${origin})`;
  return undefined;
}

const refusal = (reason: string) =>
  new HttpError(
    403,
    `MiniTwit refused this request because ${reason}. Use the links and forms on MiniTwit's own pages.`,
  );

export async function refuseCrossSiteRequests(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const reason = crossSiteReason(request);
  if (reason) throw refusal(reason);
}

/** Whether any header says a browser sent the request (see the rule above). */
function looksLikeBrowser(request: FastifyRequest): boolean {
  const headers = request.headers;
  if (Object.keys(headers).some((name) => name.startsWith('sec-fetch-'))) return true;
  if (headers['upgrade-insecure-requests'] !== undefined) return true;
  if (headers.origin !== undefined || headers.referer !== undefined) return true;
  if (/text\/html/i.test(headers.accept ?? '')) return true;
  return /^Mozilla\//.test(headers['user-agent'] ?? '');
}

/** The token a request carries: `?token=` in a link, `csrf_token` in a form. */
function givenToken(request: FastifyRequest): unknown {
  const fromQuery = (request.query as { token?: unknown } | undefined)?.token;
  return fromQuery ?? (request.body as { csrf_token?: unknown } | undefined)?.csrf_token;
}

export async function requireSessionToken(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (!request.routeOptions.config.needsSessionToken) return;
  // Without a session there is no one to act as: the route answers 401 (or, signing out, does nothing).
  if (!hasSession(request) || !looksLikeBrowser(request)) return;
  if (!isSessionToken(request, givenToken(request)))
    throw refusal(
      'the link or form did not come from your current session (it may be from another site, or older than your last sign-in: reload the page)',
    );
}
