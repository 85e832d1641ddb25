// How errors become replies. Routes throw HttpError for what is the door's own business (not signed in,
// a malformed link); MiniTwit's actions throw their own errors (src/minitwit.ts); Fastify throws for
// malformed requests. Each role's error handler renders the outcome (JSON or HTML).
import type { FastifyError, FastifyReply } from 'fastify';
import { TooManyAttemptsError } from '../abuse-limits.js';
import { RuleError, UnknownUserError } from '../minitwit.js';
import { NO_NUL, SINGLE_LINE } from './input-rules.js';

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
  if (error instanceof UnknownUserError) return { status: 404, message: error.message };
  if (error instanceof RuleError) return { status: 400, message: error.message };
  if (error instanceof TooManyAttemptsError) {
    const minutes = Math.ceil(error.retryAfterSeconds / 60);
    const wait = minutes > 1 ? `${minutes} minutes` : 'a minute';
    return { status: 429, message: `${error.message}: try again in ${wait}.` };
  }
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
  if (thrown instanceof TooManyAttemptsError) reply.header('retry-after', String(thrown.retryAfterSeconds));
}

/** Ajv's words, except where they would puzzle a client. */
function validationMessage(failure: NonNullable<FastifyError['validation']>[number]): string | undefined {
  const params = failure.params as { pattern?: string; limit?: number };
  if ([SINGLE_LINE, NO_NUL].includes(String(params.pattern ?? '')))
    return 'must not contain control characters';
  if (failure.keyword === 'minLength' && params.limit === 1) return 'must not be empty';
  return failure.message;
}

/** Connection-level failures (server down, restarting, pool timeout): worth a retry, unlike a bug. */
export function isDatabaseUnavailable(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '53300'].includes(code) ||
    code.startsWith('08') ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message)
  );
}

/** A statement the server cancelled at DB_STATEMENT_TIMEOUT_MS (SQLSTATE 57014): the service is busy. */
function isStatementTimeout(error: Error): boolean {
  return (error as { code?: string }).code === '57014';
}
