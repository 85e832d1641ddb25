// The simulator API as a Fastify app that does not listen: server.ts listens, tests inject.
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { observability } from '../observability/plugin.js';
import { createAbuseLimits } from '../abuse-limits.js';
import { errorReplies } from '../http/error-replies.js';
import { securityHeaders } from '../http/security-headers.js';
import { serverOptions, validatorCompiler, type Services } from '../http/server-options.js';
import { simulatorRoutes } from './routes.js';

/** 10,000 characters of 4-byte UTF-8 fit with room to spare; anything larger is a 413. */
const API_BODY_LIMIT = 64 * 1024;

/** The hash of the <style> element Swagger UI (@fastify/swagger-ui 6.1) adds to the page. */
const SWAGGER_UI_INLINE_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/** The simulator API on `services`' database. Built through buildApps (src/app.ts), by the server and the tests alike. */
export async function buildApiApp(services: Services): Promise<FastifyInstance> {
  const { db, cache, config } = services;
  const app = Fastify(serverOptions(services, API_BODY_LIMIT, 'api')).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);

  await app.register(errorReplies, {
    send: (reply, status, message) => reply.code(status).send({ status, error_msg: message }),
    notFound: (request) => `No such endpoint: ${request.method} ${request.url.split('?')[0]}`,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'MiniTwit simulator API',
        version: '1.0.0',
        description: "The API the ITU DevOps course's simulator drives.",
      },
      components: {
        securitySchemes: { simulator: { type: 'http', scheme: 'basic' } },
      },
      security: [{ simulator: [] }],
    },
  });
  // The documentation is the API port's only HTML: it gets the web pages' security headers, with a policy
  // that lets Swagger UI run (its scripts and styles are files served under /docs; it fetches the document
  // from us; its stylesheet draws icons as data: images). The simulator's JSON replies are left as they were.
  await app.register(async (docs) => {
    await securityHeaders(docs, {
      scriptSrc: ["'self'"],
      // And the one <style> element swagger-ui-bundle.js adds, by its hash (the browser test,
      // test/e2e/api-docs.e2e.ts, names the new hash if an upgrade changes it).
      styleSrc: ["'self'", SWAGGER_UI_INLINE_STYLE],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
    docs.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  await app.register(observability, { role: 'api', db, metricsToken: config.metricsToken });
  await app.register(simulatorRoutes, { db, cache, config, limits: createAbuseLimits(db, config) });
  return app;
}
