// The web pages as a Fastify app that does not listen: server.ts listens, tests inject.
// Routes: timeline-routes.ts (/, /public, /<username>, follow, unfollow, add_message) and
// account-routes.ts (login, register, logout); templates in views/, the stylesheet in static/.
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { observability } from '../observability/plugin.js';
import { describeError, HttpError } from '../http/errors.js';
import { serverOptions, validatorCompiler, type AppDeps } from '../http/server-options.js';
import { accountRoutes } from './account-routes.js';
import { refuseCrossSiteRequests } from './csrf.js';
import { renderErrorPage, STATIC_DIR } from './pages.js';
import { currentUser, resolveSessionSecret } from './session.js';
import { timelineRoutes } from './timeline-routes.js';

// A 10,000-character message of 4-byte characters is 120 kB once form-encoded (%F0%9F%98%80 each).
const WEB_BODY_LIMIT = 160 * 1024;

export async function buildWebApp(deps: AppDeps): Promise<FastifyInstance> {
  const { db } = deps;
  const app = Fastify(serverOptions(deps, WEB_BODY_LIMIT));
  app.setValidatorCompiler(validatorCompiler);
  // First, so that its hooks count and log every request, those refused by the hooks below too.
  await app.register(observability, { role: 'web', db });

  // Every error is a page in the layout; 5xx details stay in the log.
  app.setErrorHandler(async (error, request, reply) => {
    const { status, message } = describeError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const user = status === 503 ? undefined : await currentUser(db, request).catch(() => undefined);
    return renderErrorPage(reply, status, message, user);
  });
  app.setNotFoundHandler(async () => {
    throw new HttpError(404, 'There is no such page.');
  });

  // Pages may not be framed by other sites: a framed page could trick a click on "Follow user".
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
  });

  await app.register(cookie, { secret: resolveSessionSecret(deps.config) });
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
