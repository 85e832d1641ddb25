// How each role answers what went wrong, one plugin for both: a thrown error (a route's HttpError, a
// broken rule of MiniTwit's, Fastify's own) becomes its status and a message a client can act on
// (errors.ts), 5xx details go to the log only, and a request no route matches (or that Fastify refused:
// framework-errors.ts) is a 404 (or that refusal) in the same shape. The role says only how a reply looks.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { describeError, HttpError, setErrorHeaders } from './errors.js';
import { frameworkRefusal } from './framework-errors.js';

interface ErrorRepliesOptions {
  /** The reply for an error: JSON, or a page in the layout. */
  send: (reply: FastifyReply, status: number, message: string, error: unknown) => FastifyReply;
  /** What a request that matches no route is told. */
  notFound: (request: FastifyRequest) => string | Promise<string>;
}

export const errorReplies = fp<ErrorRepliesOptions>(
  async (app, { send, notFound }) => {
    app.setErrorHandler(async (error, request, reply) => {
      const { status, message } = describeError(error);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      setErrorHeaders(reply, error);
      return send(reply, status, message, error);
    });
    app.setNotFoundHandler(async (request) => {
      const refused = frameworkRefusal(request);
      if (refused) throw new HttpError(refused.status, refused.message);
      throw new HttpError(404, await notFound(request));
    });
  },
  { name: 'minitwit-error-replies' },
);
