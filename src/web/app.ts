// The web pages as a Fastify app that does not listen: server.ts listens, tests inject.
import Fastify, { type FastifyInstance } from 'fastify';
import { observability } from '../observability/plugin.js';
import { serverOptions, validatorCompiler, type AppDeps } from '../http/server-options.js';

const WEB_BODY_LIMIT = 64 * 1024;

export async function buildWebApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(deps, WEB_BODY_LIMIT));
  app.setValidatorCompiler(validatorCompiler);
  await app.register(observability, { role: 'web', db: deps.db });
  return app;
}
