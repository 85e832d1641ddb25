// One interface over the two ways we reach PostgreSQL: the embedded PGlite and a server through pg's pool.
// Data modules only ever see `Queryable`, so the same SQL runs on both.

export interface ExecOptions {
  oneStatement?: boolean;
}

export interface Queryable {
  /** One parameterised statement; returns its rows. */
  query: <Row>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;
  /**
   * Several statements without parameters (migrations); with `oneStatement`, exactly one: the server
   * refuses a second (the extended protocol), whatever a script's own splitter thought (a restore's).
   */
  exec: (sql: string, options?: ExecOptions) => Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>;
  poolStats: () => PoolStats;
  close: () => Promise<void>;
}

/** int8 columns (counts, ids) come back as JS numbers on both drivers: ours stay far below 2^53. */
export const parseInt8 = (value: string): number => Number(value);
