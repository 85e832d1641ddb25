// One error type for the whole app: routes throw it, each role's error handler renders it (JSON or HTML).
import type { FastifyError } from 'fastify';
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
  const fastifyError = error as FastifyError;
  if (fastifyError.validation?.length) {
    const first = fastifyError.validation[0]!;
    const where = `${fastifyError.validationContext ?? 'request'}${first.instancePath}`;
    const pattern = String((first.params as { pattern?: string }).pattern ?? '');
    const what = [SINGLE_LINE, NO_NUL].includes(pattern)
      ? 'must not contain control characters'
      : first.message;
    return { status: 400, message: `${where} ${what}` };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return { status: 400, message: 'The request body is not valid JSON' };
    }
    return { status, message: error.message };
  }
  if (isDatabaseUnavailable(error)) return { status: 503, message: 'The database is unavailable, try again' };
  return { status: 500, message: 'Internal server error' };
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
