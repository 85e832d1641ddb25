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
//
// A session's token is an HMAC of its id with the session secret: another site cannot read it from our
// pages nor compute it, it changes with every sign-in, and checking it needs no storage.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../http/errors.js';
import { sessionOf, type Session } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token this session's links and forms carry, or undefined when no one is signed in. */
    csrfToken(): string | undefined;
  }
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

const tokenOf = (session: Session, secret: string) =>
  createHmac('sha256', secret).update(`csrf:${session.userId}:${session.id}`).digest('base64url');

/** Whether `token` is that session's CSRF token (signed with the current or the previous secret). */
function isSessionToken(request: FastifyRequest, token: unknown): boolean {
  const { session } = sessionOf(request);
  if (!session || typeof token !== 'string') return false;
  const given = Buffer.from(token);
  return request.server.sessionPolicy.secrets.some((secret) => {
    const expected = Buffer.from(tokenOf(session, secret));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
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

/** Both walls on every route of the app that registers it (fastify-plugin). */
export const csrf = fp(
  async (app) => {
    app.decorateRequest('csrfToken', function (this: FastifyRequest) {
      const { session } = sessionOf(this);
      return session && tokenOf(session, this.server.sessionPolicy.secrets[0]!);
    });
    app.addHook('onRequest', async (request) => {
      const reason = crossSiteReason(request);
      if (reason) throw refusal(reason);
    });
    app.addHook('preHandler', async (request) => {
      if (!request.routeOptions.config.needsSessionToken) return;
      // Without a session there is no one to act as: the route answers 401 (or, signing out, does nothing).
      if (!sessionOf(request).session || !looksLikeBrowser(request)) return;
      if (!isSessionToken(request, givenToken(request)))
        throw refusal(
          'the link or form did not come from your current session (it may be from another site, or older than your last sign-in: reload the page)',
        );
    });
  },
  { name: 'minitwit-csrf', dependencies: ['minitwit-sessions'] },
);
