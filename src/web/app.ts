// The web pages as a Fastify app that does not listen: server.ts listens, tests inject; both build it
// through buildApps (src/app.ts). Routes: timeline-routes.ts (/, /public, /<username>, follow, unfollow,
// add_message) and account-routes.ts (login, register, logout); templates in views/, the stylesheet in static/.
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { resolveSessionSecret } from '../config.js';
import { describeError, HttpError } from '../http/errors.js';
import { serverOptions, validatorCompiler, type Services } from '../http/server-options.js';
import { UnknownUserError } from '../minitwit.js';
import { observability } from '../observability/plugin.js';
import { accountRoutes } from './account-routes.js';
import { refuseCrossSiteRequests } from './csrf.js';
import { renderErrorPage, STATIC_DIR } from './pages.js';
import { currentUser } from './session.js';
import { timelineRoutes } from './timeline-routes.js';

// A 10,000-character message of 4-byte characters is 120 kB once form-encoded (%F0%9F%98%80 each).
const WEB_BODY_LIMIT = 160 * 1024;

export async function buildWebApp(services: Services): Promise<FastifyInstance> {
  const { db, config } = services;
  const app = Fastify(serverOptions(services, WEB_BODY_LIMIT));
  app.setValidatorCompiler(validatorCompiler);
  // First, so that its hooks count and log every request, those refused by the hooks below too.
  await app.register(observability, { role: 'web', db });

  // Every error is a page in the layout; 5xx details stay in the log.
  app.setErrorHandler(async (error, request, reply) => {
    const { status, message } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const user = status === 503 ? undefined : await currentUser(db, request).catch(() => undefined);
    const shown =
      error instanceof UnknownUserError ? `There is no user called "${error.username}".` : message;
    return renderErrorPage(reply, status, shown, user);
  });
  app.setNotFoundHandler(async () => {
    throw new HttpError(404, 'There is no such page.');
  });

  await app.register(helmet, {
    // Pages may not be framed by other sites: a framed page could trick a click on "Follow user".
    frameguard: { action: 'deny' },
    // Browsers send `Origin: null` on a same-origin form post under `no-referrer` (helmet's default), and
    // the CSRF check (csrf.ts) needs the real origin where Sec-Fetch-Site is missing (plain HTTP).
    referrerPolicy: { policy: 'same-origin' },
    // Set with the pages' needs in mind (gravatar images) by the security work; HSTS only over TLS.
    contentSecurityPolicy: false,
    hsts: false,
  });
  await app.register(cookie, { secret: resolveSessionSecret(config) });
  await app.register(formbody);
  app.addHook('onRequest', refuseCrossSiteRequests);
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    decorateReply: false,
    index: false,
    // A day; the layout links /static/style.css?v=<content hash>, so a new stylesheet is fetched at once.
    maxAge: 86_400_000,
  });

  await app.register(accountRoutes, { db });
  await app.register(timelineRoutes, { db });
  return app;
}
