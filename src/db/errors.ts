// What a database error means for the request that met it, from the driver's codes (pg and PGlite alike).

/** Connection-level failures (server down, restarting, pool timeout): worth a retry, unlike a bug. */
export function isDatabaseUnavailable(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '53300'].includes(code) ||
    code.startsWith('08') ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message) ||
    isQueryTimeout(error)
  );
}

/** A statement the server did not answer within the client's query timeout (src/db/postgres.ts). */
export function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

/** A statement the server cancelled at DB_STATEMENT_TIMEOUT_MS (SQLSTATE 57014): the service is busy. */
export function isStatementTimeout(error: Error): boolean {
  return (error as { code?: string }).code === '57014';
}
