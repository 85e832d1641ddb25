// All configuration comes from the environment, is validated here once, and is typed from then on.
// Each setting is declared once below: its environment variable, type, limits and default; the `Config`
// type is derived from these declarations. Any variable can also be read from a file named by
// `<VARIABLE>_FILE` (Docker and Swarm secrets are mounted as files).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

interface Variable {
  /** The environment variable that sets it. */
  env: string;
  /** Never shown in an error message (passwords, secrets). */
  secret?: boolean;
  /** How an error message shows the value, when not as given. */
  show?: (value: string) => string;
}

/**
 * A database URL as the driver will parse it (pg-connection-string: WHATWG URL, with a stand-in host when
 * none is given before a socket path), or undefined when it cannot be parsed at all.
 */
function parseDatabaseUrl(url: string): URL | undefined {
  for (const candidate of [url, url.replace('@/', '@stand-in/')]) {
    try {
      return new URL(candidate);
    } catch {
      // tried next with a stand-in host, else not a URL
    }
  }
  return undefined;
}

/**
 * A database URL as an error message may show it: without its password; and not at all when it does not
 * parse (a typo can move the password anywhere: `user:pa#ss@host`, `postgres//user:pass@host`).
 */
function withoutPassword(url: string): string {
  const parsed = parseDatabaseUrl(url);
  if (!parsed?.protocol.startsWith('postgres')) return '(not shown: it is not a postgres:// URL)';
  if (parsed.password) parsed.password = 'hidden';
  return parsed.href;
}

const from = <T extends TSchema>(variable: Variable, schema: T): T => Object.assign(schema, variable);

const Port = (env: string, fallback: number) =>
  from({ env }, Type.Integer({ minimum: 0, maximum: 65535, default: fallback }));
const Milliseconds = (env: string, fallback: number) =>
  from({ env }, Type.Integer({ minimum: 0, default: fallback }));
const Seconds = (env: string, fallback: number) =>
  from({ env }, Type.Integer({ minimum: 1, default: fallback }));
/** How many times something may happen in a window; 0 turns the limit off. */
const Limit = (env: string, fallback: number) =>
  from({ env }, Type.Integer({ minimum: 0, maximum: 1_000_000, default: fallback }));
const DAY = 24 * 3600;
const Choice = <const T extends string[]>(env: string, choices: T, fallback: T[number]) =>
  from(
    { env },
    Type.Union(
      choices.map((choice) => Type.Literal(choice)),
      { default: fallback },
    ),
  );

/** The course's simulator's credentials (published with the course): the default, for replays and tests. */
export const COURSE_SIMULATOR_CREDENTIALS = { username: 'simulator', password: 'super_safe!' } as const;

const ConfigSchema = Type.Object({
  /** `web` serves the pages, `api` the simulator API, `all` both from one process. */
  role: Choice('MINITWIT_ROLE', ['all', 'web', 'api'], 'all'),
  host: from({ env: 'HOST' }, Type.String({ minLength: 1, default: '0.0.0.0' })),
  webPort: Port('PORT', 5000),
  apiPort: Port('API_PORT', 5001),
  /** A PostgreSQL server; without it, the embedded PGlite in `dataDir`. */
  databaseUrl: from(
    { env: 'DATABASE_URL', show: withoutPassword },
    Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  ),
  /**
   * Optional: the role that owns the schema, for migrations only (then the app serves over DATABASE_URL, a
   * role that reads and writes rows and nothing more).
   */
  migrationDatabaseUrl: from(
    { env: 'MIGRATION_DATABASE_URL', show: withoutPassword },
    Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  ),
  dataDir: from({ env: 'DATA_DIR' }, Type.String({ minLength: 1, default: './data' })),
  dbPoolSize: from({ env: 'DB_POOL_SIZE' }, Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
  /**
   * The server cancels any statement of the app that runs longer (a 503 to the client): one request can
   * hold a pooled connection no longer than this. 0 turns it off. The embedded database cannot enforce it.
   */
  dbStatementTimeoutMs: Milliseconds('DB_STATEMENT_TIMEOUT_MS', 2000),
  /**
   * Statements as named prepared statements, planned once per connection (src/db/postgres.ts). `off` for a
   * pooler in front that cannot keep them (PgBouncer before 1.21, or without max_prepared_statements).
   */
  dbPreparedStatements: Choice('DB_PREPARED_STATEMENTS', ['on', 'off'], 'on'),
  /** How many users one user may follow; a follow past it is refused (400, or a flash on the web). */
  followLimit: from({ env: 'FOLLOW_LIMIT' }, Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5000 })),
  /** The most items one API list returns, whatever `no` asks for (the simulator asks for 100 at most). */
  apiListMax: from({ env: 'API_LIST_MAX' }, Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  /** Open connections each public port accepts at once; more are closed as they arrive. */
  maxConnections: from({ env: 'MAX_CONNECTIONS' }, Type.Integer({ minimum: 1, default: 1000 })),
  /** A client must send a request's headers within this (slow-header attacks hold a connection). */
  headersTimeoutMs: from({ env: 'HEADERS_TIMEOUT_MS' }, Type.Integer({ minimum: 1000, default: 10_000 })),
  /** Password hashes computed at once (argon2id, on libuv's threads); 0: one fewer than the CPU cores, at least one. */
  passwordHashConcurrency: from(
    { env: 'PASSWORD_HASH_CONCURRENCY' },
    Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  ),
  logLevel: Choice('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  logFormat: Choice('LOG_FORMAT', ['json', 'pretty', 'auto'], 'auto'),
  sessionSecret: from({ env: 'SESSION_SECRET', secret: true }, Type.Optional(Type.String({ minLength: 32 }))),
  /** The secret being rotated out: cookies it signed are still accepted (and re-signed with the new one). */
  sessionSecretPrevious: from(
    { env: 'SESSION_SECRET_PREVIOUS', secret: true },
    Type.Optional(Type.String({ minLength: 32 })),
  ),
  /** A session unused this long ends; every request that uses it pushes the end back. */
  sessionIdleTimeoutSeconds: Seconds('SESSION_IDLE_TIMEOUT_SECONDS', 7 * DAY),
  /** A session ends this long after sign-in, however active. */
  sessionMaxAgeSeconds: Seconds('SESSION_MAX_AGE_SECONDS', 30 * DAY),
  /** Where /metrics and the detailed readiness are served: an internal address, not the public ports. */
  metricsHost: from({ env: 'METRICS_HOST' }, Type.String({ minLength: 1, default: '127.0.0.1' })),
  metricsPort: from({ env: 'METRICS_PORT' }, Type.Integer({ minimum: 1, maximum: 65535, default: 9464 })),
  /** When set, /metrics is also served on the public ports to `Authorization: Bearer <token>`, and the metrics port asks for it too. */
  metricsToken: from({ env: 'METRICS_TOKEN', secret: true }, Type.Optional(Type.String({ minLength: 16 }))),
  /** Abuse limits (src/abuse-limits.ts): how many attempts per window, kept in the database. */
  limits: Type.Object(
    {
      signInPerAccount: Limit('SIGNIN_LIMIT_PER_ACCOUNT', 10),
      signInPerClient: Limit('SIGNIN_LIMIT_PER_CLIENT', 30),
      signInWindowSeconds: Seconds('SIGNIN_LIMIT_WINDOW_SECONDS', 900),
      signUpPerClient: Limit('SIGNUP_LIMIT_PER_CLIENT', 20),
      signUpPerEmail: Limit('SIGNUP_LIMIT_PER_EMAIL', 5),
      signUpWindowSeconds: Seconds('SIGNUP_LIMIT_WINDOW_SECONDS', 3600),
    },
    { default: {} },
  ),
  simulator: Type.Object(
    {
      username: from(
        { env: 'SIMULATOR_USERNAME' },
        Type.String({ minLength: 1, default: COURSE_SIMULATOR_CREDENTIALS.username }),
      ),
      password: from(
        { env: 'SIMULATOR_PASSWORD', secret: true },
        Type.String({ minLength: 1, default: COURSE_SIMULATOR_CREDENTIALS.password }),
      ),
    },
    { default: {} },
  ),
  /** Backups (npm run backup and restore; the app itself only reads the record of the last one). */
  backup: Type.Object(
    {
      dir: from({ env: 'BACKUP_DIR' }, Type.String({ minLength: 1, default: './backups' })),
      /** Rotation: the newest backup of each of the last N days, and of each of the last M weeks. */
      keepDaily: from({ env: 'BACKUP_KEEP_DAILY' }, Type.Integer({ minimum: 1, default: 7 })),
      keepWeekly: from({ env: 'BACKUP_KEEP_WEEKLY' }, Type.Integer({ minimum: 0, default: 4 })),
      /** A cron expression (UTC): with it, `npm run backup -- --scheduled` backs up at those times. */
      schedule: from({ env: 'BACKUP_SCHEDULE' }, Type.String({ minLength: 1, default: '0 3 * * *' })),
      /** The pg_dump binary for a server: its major version must be at least the server's. */
      pgDump: from({ env: 'PG_DUMP' }, Type.String({ minLength: 1, default: 'pg_dump' })),
      /** An S3-compatible store (DigitalOcean Spaces) to upload each backup to; off when no bucket is set. */
      s3: Type.Object(
        {
          bucket: from({ env: 'BACKUP_S3_BUCKET' }, Type.Optional(Type.String({ minLength: 1 }))),
          endpoint: from(
            { env: 'BACKUP_S3_ENDPOINT' },
            Type.Optional(Type.String({ pattern: '^https?://' })),
          ),
          region: from({ env: 'BACKUP_S3_REGION' }, Type.String({ minLength: 1, default: 'us-east-1' })),
          prefix: from({ env: 'BACKUP_S3_PREFIX' }, Type.String({ default: 'minitwit/' })),
          accessKeyId: from({ env: 'BACKUP_S3_ACCESS_KEY_ID' }, Type.Optional(Type.String({ minLength: 1 }))),
          secretAccessKey: from(
            { env: 'BACKUP_S3_SECRET_ACCESS_KEY', secret: true },
            Type.Optional(Type.String({ minLength: 1 })),
          ),
          /** Path-style URLs (endpoint/bucket/key), for stores that do not serve bucket subdomains. */
          forcePathStyle: from({ env: 'BACKUP_S3_FORCE_PATH_STYLE' }, Type.Boolean({ default: false })),
        },
        { default: {} },
      ),
    },
    { default: {} },
  ),
  /** After SIGTERM: how long to keep serving (not ready, closing connections) before closing the listener. */
  shutdownDrainMs: Milliseconds('SHUTDOWN_DRAIN_MS', 0),
  /** After SIGTERM: how long to wait in all before giving up on in-flight requests. */
  shutdownTimeoutMs: Milliseconds('SHUTDOWN_TIMEOUT_MS', 10_000),
  /** Read by parseTrustProxy: `false`, a hop count, or the proxies' addresses. */
  trustProxy: from({ env: 'TRUST_PROXY' }, Type.String({ default: 'false' })),
});

/** Which proxies' X-Forwarded-* headers are believed: none, the nearest N hops, or those addresses. */
export type TrustProxy = false | number | string[];

export type Config = Omit<Static<typeof ConfigSchema>, 'trustProxy'> & { trustProxy: TrustProxy };

/** How long a whole request may take to arrive (Fastify's requestTimeout; src/http/server-options.ts). */
export const REQUEST_TIMEOUT_MS = 30_000;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Schema = TSchema & Partial<Variable> & { properties?: Record<string, Schema> };

/** Every setting's path in Config (`/simulator/password`) and its schema. */
function settings(schema: Schema = ConfigSchema, path = ''): [string, Schema & Variable][] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) =>
    child.env ? [[`${path}/${key}`, child as Schema & Variable] as const] : settings(child, `${path}/${key}`),
  );
}

/** A variable's value from the environment or from the file `<NAME>_FILE` names; undefined when unset. */
function readVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  const file = env[`${name}_FILE`];
  if (file && value) throw new ConfigError(`Set ${name} or ${name}_FILE, not both`);
  if (!file) return value === '' ? undefined : value;
  try {
    // A file written by `echo` or an editor ends with a newline that is not part of the value.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`Cannot read ${name}_FILE=${file}: ${(error as Error).message}`);
  }
}

function setAt(target: object, path: string, value: unknown): void {
  const keys = path.split('/').slice(1);
  const last = keys.pop()!;
  let node = target as Record<string, unknown>;
  for (const key of keys) node = (node[key] ??= {}) as Record<string, unknown>;
  node[last] = value;
}

function valueAt(source: object, path: string): unknown {
  return path
    .split('/')
    .slice(1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], source);
}

/** Reads the variables we know from `env`, fills defaults, and fails naming the first wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const given: Record<string, unknown> = {};
  const raw = new Map<string, string>();
  for (const [path, setting] of settings()) {
    const value = readVariable(env, setting.env);
    if (value === undefined) continue;
    raw.set(path, value);
    setAt(given, path, value);
  }
  const config = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, given));
  const error = Value.Errors(ConfigSchema, config).First();
  if (error) {
    const [path, setting] = settings().find(([p]) => p === error.path) ?? [error.path, undefined];
    const value = raw.get(path) ?? '';
    const shown = setting?.secret ? '(hidden)' : (setting?.show?.(value) ?? value);
    throw new ConfigError(`Invalid environment variable ${setting?.env ?? path}=${shown}: ${error.message}`);
  }
  const valid = config as Config;
  valid.trustProxy = parseTrustProxy(raw.get('/trustProxy') ?? 'false');
  if (valid.databaseUrl && !parseDatabaseUrl(valid.databaseUrl)) {
    throw new ConfigError(
      `Invalid environment variable DATABASE_URL=${withoutPassword(valid.databaseUrl)}: not a valid URL ` +
        '(postgres://user:password@host:5432/database; percent-encode special characters in the password)',
    );
  }
  if (valid.migrationDatabaseUrl && !valid.databaseUrl) {
    throw new ConfigError('MIGRATION_DATABASE_URL is set without DATABASE_URL: set both, or neither');
  }
  // Unset optional settings are there, as undefined: a reader of the config sees every setting.
  for (const [path] of settings())
    if (!raw.has(path) && valueAt(valid, path) === undefined) setAt(valid, path, undefined);
  // Replicas behind one database must sign session cookies with one secret; a random per-process one
  // would sign people out whenever a request reaches another replica or the process restarts.
  if (valid.role !== 'api' && valid.databaseUrl && !valid.sessionSecret) {
    throw new ConfigError(
      'SESSION_SECRET must be set (32+ characters, the same on every replica) when DATABASE_URL is set and the web pages are served (MINITWIT_ROLE=web or all)',
    );
  }
  if (valid.sessionIdleTimeoutSeconds > valid.sessionMaxAgeSeconds) {
    throw new ConfigError(
      'SESSION_IDLE_TIMEOUT_SECONDS must not be longer than SESSION_MAX_AGE_SECONDS (a session ends at the first of the two)',
    );
  }
  if (valid.headersTimeoutMs > REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_MS must not be longer than the request timeout (${REQUEST_TIMEOUT_MS} ms): the headers are part of the request`,
    );
  }
  if (valid.shutdownDrainMs >= valid.shutdownTimeoutMs && valid.shutdownDrainMs > 0) {
    throw new ConfigError(
      'SHUTDOWN_TIMEOUT_MS must be longer than SHUTDOWN_DRAIN_MS (the drain is part of it)',
    );
  }
  return valid;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: `false` (the default), how many proxies stand in front (`1`), or their addresses and
 * ranges (`10.0.0.0/8,::1`, or proxy-addr's `loopback`, `linklocal`, `uniquelocal`). Not `true`: trusting
 * every hop lets any client name its own address in X-Forwarded-For, which the logs and the abuse limits
 * would then believe.
 */
function parseTrustProxy(value: string): TrustProxy {
  const trimmed = value.trim();
  if (trimmed === 'false' || trimmed === '0') return false;
  if (/^\d{1,2}$/.test(trimmed)) return Number(trimmed);
  const entries = trimmed.split(',').map((entry) => entry.trim());
  if (entries.every(isAddressOrRange)) return entries;
  const why =
    trimmed === 'true'
      ? 'true would trust every hop, so any client could choose the address that is logged and rate-limited'
      : 'not a hop count nor a list of IP addresses or CIDR ranges';
  throw new ConfigError(
    `Invalid environment variable TRUST_PROXY=${value}: ${why}. Give the number of proxies in front (1), or their addresses (10.0.0.0/8,::1)`,
  );
}

/**
 * The secret that signs session cookies: SESSION_SECRET when set. Embedded mode (one process, no
 * DATABASE_URL; loadConfig has refused the other cases) may go without: a random secret is made once and
 * kept in DATA_DIR, so sessions survive restarts.
 */
export function resolveSessionSecret(config: Pick<Config, 'sessionSecret' | 'dataDir'>): string {
  if (config.sessionSecret) return config.sessionSecret;
  const file = join(config.dataDir, 'session-secret');
  const stored = readSecretFile(file);
  if (stored) return stored;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function readSecretFile(file: string): string | undefined {
  try {
    const secret = readFileSync(file, 'utf8').trim();
    return secret.length >= 32 ? secret : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
