// The web pages as a Fastify app that does not listen: server.ts listens, tests inject; both build it
// through buildApps (src/app.ts). Routes: timeline-routes.ts (/, /public, /<username>, follow, unfollow,
// add_message) and account-routes.ts (login, register, logout); templates in views/, the stylesheet in static/.
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { createAbuseLimits } from '../abuse-limits.js';
import { resolveSessionSecret } from '../config.js';
import { describeError, HttpError, setErrorHeaders } from '../http/errors.js';
import { frameworkRefusal } from '../http/framework-errors.js';
import { serverOptions, validatorCompiler, type Services } from '../http/server-options.js';
import { UnknownUserError } from '../minitwit.js';
import { observability } from '../observability/plugin.js';
import { accountRoutes } from './account-routes.js';
import { refuseCrossSiteRequests, requireSessionToken } from './csrf.js';
import { renderErrorPage, STATIC_DIR } from './pages.js';
import { currentUser, sessionOnSend, sessionPolicy } from './session.js';
import { timelineRoutes } from './timeline-routes.js';

// A 10,000-character message of 4-byte characters is 120 kB once form-encoded (%F0%9F%98%80 each).
const WEB_BODY_LIMIT = 160 * 1024;

export async function buildWebApp(services: Services): Promise<FastifyInstance> {
  const { db, cache, config } = services;
  const ctx = { db, cache, source: 'web' } as const;
  const app = Fastify(serverOptions(services, WEB_BODY_LIMIT, 'web'));
  app.setValidatorCompiler(validatorCompiler);
  // First, so that its hooks count and log every request, those refused by the hooks below too.
  await app.register(observability, { role: 'web', db, metricsToken: config.metricsToken });

  // Every error is a page in the layout; 5xx details stay in the log.
  app.setErrorHandler(async (error, request, reply) => {
    const { status, message } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const user = status === 503 ? undefined : await currentUser(ctx, request).catch(() => undefined);
    const shown =
      error instanceof UnknownUserError ? `There is no user called "${error.username}".` : message;
    setErrorHeaders(reply, error);
    return renderErrorPage(reply, status, shown, user);
  });
  app.setNotFoundHandler(async (request) => {
    const refused = frameworkRefusal(request);
    throw refused
      ? new HttpError(refused.status, refused.message)
      : new HttpError(404, 'There is no such page.');
  });

  await app.register(helmet, {
    // Pages may not be framed by other sites: a framed page could trick a click on "Follow user".
    frameguard: { action: 'deny' },
    // Browsers send `Origin: null` on a same-origin form post under `no-referrer` (helmet's default), and
    // the CSRF check (csrf.ts) needs the real origin where Sec-Fetch-Site is missing (plain HTTP).
    // `same-origin` still sends nothing to other sites (gravatar, links out), so no token in a URL leaks.
    referrerPolicy: { policy: 'same-origin' },
    // The pages run no script and have no inline style: only our stylesheet and images (ours and the
    // gravatars) load; forms post only to us; no other site may frame us; no <base> or plugins.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'https://www.gravatar.com', 'https://secure.gravatar.com'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    // Set below, over TLS only: over plain HTTP the header means nothing, and on a host that also serves
    // other things over HTTP (a test instance on a port) it would break them for a year.
    hsts: false,
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
  });
  const secret = resolveSessionSecret(config);
  app.decorate('sessionPolicy', sessionPolicy(config, secret));
  // Signed with the first secret; a cookie signed with SESSION_SECRET_PREVIOUS is still accepted.
  await app.register(cookie, { secret: app.sessionPolicy.secrets });
  await app.register(formbody);
  app.addHook('onRequest', refuseCrossSiteRequests);
  app.addHook('preHandler', requireSessionToken);
  sessionOnSend(app);
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    decorateReply: false,
    index: false,
    // A day; the layout links /static/style.css?v=<content hash>, so a new stylesheet is fetched at once.
    maxAge: 86_400_000,
  });

  const limits = createAbuseLimits(db, config.limits);
  await app.register(accountRoutes, { ctx, limits });
  await app.register(timelineRoutes, { ctx, cache, config });
  return app;
}
