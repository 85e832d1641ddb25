// The security headers every HTML page of ours sends, on the web port and on the API port's /docs (Swagger
// UI): @fastify/helmet's set, with a Content-Security-Policy of the page's own and HSTS over TLS only.
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** A Content-Security-Policy's directives, as helmet takes them (camelCase names). */
export type CspDirectives = Record<string, string[]>;

/** Nothing at all but what a page's policy allows; no one may frame it, and no <base> or plugins. */
const LOCKED_DOWN: CspDirectives = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
};

/** Registers the headers on `app` (a fastify-plugin: the context it is registered in, and its children). */
export async function securityHeaders(app: FastifyInstance, allowed: CspDirectives): Promise<void> {
  await app.register(helmet, {
    // Pages may not be framed by other sites: a framed page could trick a click on "Follow user".
    frameguard: { action: 'deny' },
    // Browsers send `Origin: null` on a same-origin form post under `no-referrer` (helmet's default), and
    // the CSRF check (web/csrf.ts) needs the real origin where Sec-Fetch-Site is missing (plain HTTP).
    // `same-origin` still sends nothing to other sites (links out), so no token in a URL leaks.
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: { useDefaults: false, directives: { ...LOCKED_DOWN, ...allowed } },
    // Set below, over TLS only: over plain HTTP the header means nothing, and on a host that also serves
    // other things over HTTP (a test instance on a port) it would break them for a year.
    hsts: false,
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
  });
}
