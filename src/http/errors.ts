// How errors become replies. Routes throw HttpError for what is the door's own business (not signed in,
// a malformed link); MiniTwit's actions throw their own errors (src/minitwit.ts), each carrying its
// status as Fastify's errors do; Fastify throws for malformed requests. The error-page plugin
// (error-replies.ts) renders the outcome for each role (JSON or HTML).
import type { FastifyError, FastifyReply } from 'fastify';
import { isDatabaseUnavailable, isStatementTimeout } from '../db/errors.js';
import { NO_NUL, SINGLE_LINE } from './input-rules.js';

/** An error that says how to answer it: a 4xx status, and headers (when a refused client may retry). */
interface ClientError extends Error {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
}

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The status and a message a client can act on; 5xx details stay in the log, never in the reply. */
export function describeError(thrown: unknown): { status: number; message: string } {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const fastifyError = error as FastifyError;
  if (fastifyError.validation?.length) {
    const first = fastifyError.validation[0]!;
    const where = `${fastifyError.validationContext ?? 'request'}${first.instancePath}`;
    return { status: 400, message: `${where} ${validationMessage(first)}` };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return { status: 400, message: 'The request body is not valid JSON' };
    }
    return { status, message: error.message };
  }
  if (isDatabaseUnavailable(error)) return { status: 503, message: 'The database is unavailable, try again' };
  if (isStatementTimeout(error))
    return { status: 503, message: 'The request took too long and was stopped; try again later' };
  return { status: 500, message: 'Internal server error' };
}

/** Headers an error's reply carries besides its body: when a refused client may try again. */
export function setErrorHeaders(reply: FastifyReply, thrown: unknown): void {
  const headers = (thrown as Partial<ClientError> | undefined)?.headers;
  if (headers) reply.headers(headers);
}

/** Ajv's words, except where they would puzzle a client. */
function validationMessage(failure: NonNullable<FastifyError['validation']>[number]): string | undefined {
  const params = failure.params as { pattern?: string; limit?: number };
  if ([SINGLE_LINE, NO_NUL].includes(String(params.pattern ?? '')))
    return 'must not contain control characters';
  if (failure.keyword === 'minLength' && params.limit === 1) return 'must not be empty';
  return failure.message;
}
