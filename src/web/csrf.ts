// Cross-site request forgery: another site must not make a signed-in browser post, follow, unfollow, sign
// in, register or sign out. Without tokens (the course's tests post forms without one) we check what the
// browser says about where a request comes from, as modern frameworks do:
// - Sec-Fetch-Site (every current browser sends it, and a page cannot forge it): only `same-origin` is
//   allowed; `none` (typed into the address bar, a bookmark) too for POSTs, but not for the GETs that
//   change state, because a link opened from a mail or chat app also arrives as `none`.
// - else Origin (older browsers send it on POSTs): it must be our own scheme and host.
// - neither: not a browser (curl, the course's HTTP tests), which has no cookies to abuse; allowed.
// The session cookie's SameSite=Lax is a second wall: it is not sent with another site's POSTs at all.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A GET that changes state (follow, unfollow, logout): guarded like a POST. */
    changesState?: boolean;
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

export async function refuseCrossSiteRequests(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const reason = crossSiteReason(request);
  if (reason) {
    throw new HttpError(
      403,
      `MiniTwit refused this request because ${reason}. Use the links and forms on MiniTwit's own pages.`,
    );
  }
}
