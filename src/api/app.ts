// The simulator API as a Fastify app that does not listen: server.ts listens, tests inject.
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { observability } from '../observability/plugin.js';
import { createAbuseLimits } from '../abuse-limits.js';
import { errorReplies } from '../http/error-replies.js';
import { serverOptions, validatorCompiler, type Services } from '../http/server-options.js';
import { simulatorRoutes } from './routes.js';

/** 10,000 characters of 4-byte UTF-8 fit with room to spare; anything larger is a 413. */
const API_BODY_LIMIT = 64 * 1024;

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
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(observability, { role: 'api', db, metricsToken: config.metricsToken });
  await app.register(simulatorRoutes, { db, cache, config, limits: createAbuseLimits(db, config) });
  return app;
}
