// The web pages as a Fastify app that does not listen: server.ts listens, tests inject; both build it
// through buildApps (src/app.ts). Routes: timeline-routes.ts (/, /public, /<username>, follow, unfollow,
// add_message) and account-routes.ts (login, register, logout); templates in views/, the stylesheet in static/.
import { constants as zlibConstants } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import compress from '@fastify/compress';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { avatarRoutes } from './avatars.js';
import { createAbuseLimits } from '../abuse-limits.js';
import { errorReplies } from '../http/error-replies.js';
import { securityHeaders } from '../http/security-headers.js';
import { serverOptions, validatorCompiler, type Services } from '../http/server-options.js';
import { UnknownUserError, type Context } from '../minitwit.js';
import { observability } from '../observability/plugin.js';
import { accountRoutes } from './account-routes.js';
import { csrf } from './csrf.js';
import { flashes } from './flashes.js';
import { renderErrorPage, renderSignInWithDraft, STATIC_DIR } from './pages.js';
import { sessions } from './sessions.js';
import { BROTLI_QUALITY } from './shared-page.js';
import { SignInRequired, timelineRoutes } from './timeline-routes.js';

// A 10,000-character message of 4-byte characters is 120 kB once form-encoded (%F0%9F%98%80 each).
const WEB_BODY_LIMIT = 160 * 1024;

export async function buildWebApp(services: Services): Promise<FastifyInstance> {
  const { db, cache, config } = services;
  const ctx: Context = { db, cache, source: 'web' };
  const app = Fastify(serverOptions(services, WEB_BODY_LIMIT, 'web'));
  app.setValidatorCompiler(validatorCompiler);
  // First, so that its hooks count and log every request, those refused by the hooks below too.
  await app.register(observability, { role: 'web', db, metricsToken: config.metricsToken });

  // Every error is a page in the layout, with the navigation of whoever the request found signed in
  // (an error renders without asking the database); 5xx details stay in the log.
  await app.register(errorReplies, {
    send: (reply, status, message, error) => {
      const shown =
        error instanceof UnknownUserError ? `There is no user called "${error.username}".` : message;
      if (error instanceof SignInRequired) {
        // A message that was being posted: the sign-in form, holding it, shares it once signed in.
        if (error.draft !== undefined) return renderSignInWithDraft(reply, shown, error.draft);
        // Signing in from a 401 page leads back to the page the person was on.
        return renderErrorPage(reply, status, shown, reply.request.user, error.returnTo);
      }
      return renderErrorPage(reply, status, shown, reply.request.user);
    },
    // A page like any other: the layout shows who is signed in.
    notFound: async (request) => {
      await request.currentUser().catch(() => undefined);
      return 'There is no such page.';
    },
  });

  // A signed-in person's pages hold a secret (the session's CSRF token) beside text others choose
  // (messages): compressed, their size could give the token away (BREACH), so they go uncompressed. Before
  // the compress plugin, whose hook reads the request's `x-no-compression`.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.user && String(reply.getHeader('content-type')).startsWith('text/html'))
      request.headers['x-no-compression'] = 'the page holds a session token';
    done(null, payload);
  });
  // HTML, CSS, JS and SVG replies compressed for browsers that accept it (brotli at quality 4, fast enough
  // to do per reply; gzip otherwise). A cached signed-out page comes compressed already (shared-page.ts).
  await app.register(compress, {
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
  });

  // No inline script or style: only our stylesheet, our one script (the composer's counter) and images
  // (our avatars, web/avatars.ts) load; forms post only to us.
  await securityHeaders(app, {
    styleSrc: ["'self'"],
    scriptSrc: ["'self'"],
    imgSrc: ["'self'"],
    formAction: ["'self'"],
  });
  await app.register(sessions, { ctx, config });
  await app.register(flashes);
  await app.register(formbody);
  await app.register(csrf);
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    decorateReply: false,
    index: false,
    // A day; the layout links /static/style.css?v=<content hash>, so a new stylesheet is fetched at once.
    maxAge: 86_400_000,
  });

  await app.register(avatarRoutes);
  // Asked for by crawlers and browsers: answered as what they are, not as an HTML page that says 404.
  app.get('/robots.txt', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send('User-agent: *\nAllow: /\n'),
  );
  app.get('/favicon.ico', async (_request, reply) => reply.redirect('/static/favicon.svg', 301));

  const limits = createAbuseLimits(db, config);
  await app.register(accountRoutes, { ctx, limits });
  await app.register(timelineRoutes, { ctx, cache, config });
  return app;
}
