// What Fastify itself logs. Its per-request lines ("incoming request", "request completed") are replaced
// by the plugin's one ECS access line per request (request-log.ts); errors are still logged, once, with
// their stack, but never with the request's headers, where the Authorization header and cookies live.
// (Fastify's top-level `disableRequestLogging: true` would also silence the default error handler's log
// of a 500, losing its stack: that is why this is a LogController and not that flag.)
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** The request id's field in every line logged for a request: ECS `http.request.id`. */
export const REQUEST_ID_LOG_FIELD = 'http.request.id';

export class MinitwitLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: REQUEST_ID_LOG_FIELD });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  /** Called with an error only when an onResponse hook failed; the access line covers the rest. */
  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) reply.log.error({ err: error }, 'an onResponse hook failed');
  }

  /** The default error handler's log (a role with its own error handler logs there instead). */
  override defaultErrorLog(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ err: error }, error.message);
  }

  override writeHeadError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ err: error }, error.message);
  }
}
