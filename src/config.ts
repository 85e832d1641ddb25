// All configuration comes from the environment, is validated here once, and is typed from then on: one flat
// TypeBox schema, a setting a line, each naming its variable, its limits and its default (read as
// src/settings.ts reads any setting, `<VARIABLE>_FILE` included), then the checks across settings.
import { Type, type StaticDecode } from '@sinclair/typebox';
import { ConfigError, from, HIDDEN, loadSettings } from './settings.js';
import { parseTrustProxy } from './trust-proxy.js';

const Int = (env: string, minimum: number, maximum: number | undefined, fallback: number) =>
  from(env, Type.Integer({ minimum, maximum, default: fallback }));
const Text = (env: string, fallback: string) => from(env, Type.String({ minLength: 1, default: fallback }));
const Secret = (env: string, minLength: number) =>
  from(env, Type.Optional(Type.String({ minLength })), HIDDEN);
const Choice = <const T extends string[]>(env: string, choices: T, fallback: T[number]) => {
  const literals = choices.map((choice) => Type.Literal(choice));
  return from(env, Type.Unsafe<T[number]>(Type.Union(literals, { default: fallback })));
};
const DAY = 24 * 3600;

/** A database URL as the driver parses it (pg-connection-string: a stand-in host before a socket path). */
const parseDatabaseUrl = (url: string) =>
  [url, url.replace('@/', '@stand-in/')].map((candidate) => URL.parse(candidate)).find(Boolean);

/** As an error may show it: without its password; not at all when it does not parse (a typo moves it). */
function withoutPassword(url: string): string {
  const parsed = parseDatabaseUrl(url);
  if (!parsed?.protocol.startsWith('postgres')) return '(not shown: it is not a postgres:// URL)';
  if (parsed.password) parsed.password = 'hidden';
  return parsed.href;
}

function validUrl(url: string): string {
  if (parseDatabaseUrl(url)) return url;
  throw new Error(
    'not a valid URL (postgres://user:password@host:5432/database; percent-encode special characters in the password)',
  );
}
const DatabaseUrl = (env: string) => {
  const url = Type.Transform(Type.String({ pattern: '^postgres(ql)?://' }))
    .Decode(validUrl)
    .Encode(String);
  return from(env, Type.Optional(url), withoutPassword);
};

const ConfigSchema = Type.Object({
  /** `web` serves the pages, `api` the simulator API, `all` both from one process. */
  role: Choice('MINITWIT_ROLE', ['all', 'web', 'api'], 'all'),
  host: Text('HOST', '0.0.0.0'),
  webPort: Int('PORT', 0, 65535, 5000),
  apiPort: Int('API_PORT', 0, 65535, 5001),
  /** A PostgreSQL server; without it, the embedded PGlite in `dataDir`. */
  databaseUrl: DatabaseUrl('DATABASE_URL'),
  /** The schema's owner, for migrations only (src/db/migrate.ts); DATABASE_URL then only reads and writes rows. */
  migrationDatabaseUrl: DatabaseUrl('MIGRATION_DATABASE_URL'),
  dataDir: Text('DATA_DIR', './data'),
  dbPoolSize: Int('DB_POOL_SIZE', 1, 1000, 10),
  /** The server cancels a statement running longer (a 503); 0: off. The embedded database cannot. */
  dbStatementTimeoutMs: Int('DB_STATEMENT_TIMEOUT_MS', 0, undefined, 2000),
  /** `off` for a pooler that cannot keep named prepared statements (PgBouncer before 1.21). */
  dbPreparedStatements: Choice('DB_PREPARED_STATEMENTS', ['on', 'off'], 'on'),
  /** How many users one user may follow (the personal timeline's cost grows with it). */
  followLimit: Int('FOLLOW_LIMIT', 1, 1_000_000, 5000),
  /** The most items one API list returns, whatever `no` asks for. */
  apiListMax: Int('API_LIST_MAX', 1, 10_000, 1000),
  /** Open connections each public port accepts at once; more are closed as they arrive. */
  maxConnections: Int('MAX_CONNECTIONS', 1, undefined, 1000),
  /** Of those, how many one client (an IPv4 address, an IPv6 /64) may hold on a public port; 0: no cap. */
  maxConnectionsPerClient: Int('MAX_CONNECTIONS_PER_CLIENT', 0, undefined, 100),
  /** A client must send a request's headers within this (slow-header attacks hold a connection). */
  headersTimeoutMs: Int('HEADERS_TIMEOUT_MS', 1000, undefined, 10_000),
  /** Password hashes computed at once; 0: as many as the CPU cores. */
  passwordHashConcurrency: Int('PASSWORD_HASH_CONCURRENCY', 0, 64, 0),
  logLevel: Choice('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  logFormat: Choice('LOG_FORMAT', ['json', 'pretty', 'auto'], 'auto'),
  sessionSecret: Secret('SESSION_SECRET', 32),
  /** The secret being rotated out: cookies it signed are still accepted (and re-signed). */
  sessionSecretPrevious: Secret('SESSION_SECRET_PREVIOUS', 32),
  sessionIdleTimeoutSeconds: Int('SESSION_IDLE_TIMEOUT_SECONDS', 1, undefined, 7 * DAY),
  sessionMaxAgeSeconds: Int('SESSION_MAX_AGE_SECONDS', 1, undefined, 30 * DAY),
  /** Where /metrics and the detailed readiness are served: an internal address, not the public ports. */
  metricsHost: Text('METRICS_HOST', '127.0.0.1'),
  metricsPort: Int('METRICS_PORT', 0, 65535, 9464),
  /** When set, /metrics is also served on the public ports to `Authorization: Bearer <token>`. */
  metricsToken: Secret('METRICS_TOKEN', 16),
  /** Abuse limits (src/abuse-limits.ts): attempts per window; 0 turns a limit off. */
  signInPerAccount: Int('SIGNIN_LIMIT_PER_ACCOUNT', 0, 1_000_000, 10),
  signInPerClient: Int('SIGNIN_LIMIT_PER_CLIENT', 0, 1_000_000, 30),
  signInWindowSeconds: Int('SIGNIN_LIMIT_WINDOW_SECONDS', 1, undefined, 900),
  signUpPerClient: Int('SIGNUP_LIMIT_PER_CLIENT', 0, 1_000_000, 20),
  signUpPerEmail: Int('SIGNUP_LIMIT_PER_EMAIL', 0, 1_000_000, 5),
  signUpWindowSeconds: Int('SIGNUP_LIMIT_WINDOW_SECONDS', 1, undefined, 3600),
  /** The simulator API's Basic credentials; unset, the course's (simulatorCredentials). */
  simulatorUsername: from('SIMULATOR_USERNAME', Type.Optional(Type.String({ minLength: 1 }))),
  simulatorPassword: Secret('SIMULATOR_PASSWORD', 1),
  /** After SIGTERM: how long to keep serving (not ready) before closing the listener. */
  shutdownDrainMs: Int('SHUTDOWN_DRAIN_MS', 0, undefined, 0),
  /** After SIGTERM: how long to wait in all before giving up on in-flight requests. */
  shutdownTimeoutMs: Int('SHUTDOWN_TIMEOUT_MS', 0, undefined, 10_000),
  trustProxy: from(
    'TRUST_PROXY',
    Type.Transform(Type.String({ default: 'false' }))
      .Decode(parseTrustProxy)
      .Encode((trust) => String(trust)),
  ),
  /**
   * The most bytes one API list reply holds (GET /msgs, /msgs/<user>, /fllws/<user>): a list stops at its last
   * whole item within it, and says so (X-Truncated). At least 64 KiB, so that any one message fits (10,000
   * characters are at most 60,000 bytes of JSON).
   */
  apiReplyMaxBytes: Int('API_REPLY_MAX_BYTES', 64 * 1024, undefined, 2 * 1024 * 1024),
});

export type Config = StaticDecode<typeof ConfigSchema>;

/** How long a whole request may take to arrive (Fastify's requestTimeout; src/http/server-options.ts). */
export const REQUEST_TIMEOUT_MS = 30_000;

/** MiniTwit's settings from `env`, checked one by one and against each other. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadSettings(ConfigSchema, env);
  const refuse = (why: string) => {
    throw new ConfigError(why);
  };
  // Replicas behind one database must sign session cookies with one secret; a random per-process one
  // would sign people out whenever a request reaches another replica or the process restarts.
  if (config.role !== 'api' && config.databaseUrl && !config.sessionSecret)
    refuse(
      'SESSION_SECRET must be set (32+ characters, the same on every replica) when DATABASE_URL is set and the web pages are served (MINITWIT_ROLE=web or all)',
    );
  if (config.sessionIdleTimeoutSeconds > config.sessionMaxAgeSeconds)
    refuse(
      'SESSION_IDLE_TIMEOUT_SECONDS must not be longer than SESSION_MAX_AGE_SECONDS (a session ends at the first of the two)',
    );
  if (config.headersTimeoutMs > REQUEST_TIMEOUT_MS)
    refuse(
      `HEADERS_TIMEOUT_MS must not be longer than the request timeout (${REQUEST_TIMEOUT_MS} ms): the headers are part of the request`,
    );
  if (config.maxConnectionsPerClient >= config.maxConnections)
    refuse(
      'MAX_CONNECTIONS_PER_CLIENT must be below MAX_CONNECTIONS, or one client can still hold every connection (0 turns the per-client cap off)',
    );
  if (config.shutdownDrainMs >= config.shutdownTimeoutMs && config.shutdownDrainMs > 0)
    refuse('SHUTDOWN_TIMEOUT_MS must be longer than SHUTDOWN_DRAIN_MS (the drain is part of it)');
  if (config.migrationDatabaseUrl && !config.databaseUrl)
    refuse('MIGRATION_DATABASE_URL is set without DATABASE_URL: set both, or neither');
  return config;
}

/**
 * The settings of a process that serves the pages or the API (src/server.ts, and the tests' apps):
 * loadConfig's, and what serving needs on top. The ops scripts, which serve nothing, use loadConfig.
 * With a server database (a deployment), the API takes no default credentials: unset, they would be the
 * course's published ones (issue 18, finding 2).
 */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(env);
  if (config.role === 'web' || !config.databaseUrl) return config;
  const unset = [
    ['SIMULATOR_USERNAME', config.simulatorUsername],
    ['SIMULATOR_PASSWORD', config.simulatorPassword],
  ].find(([, value]) => !value)?.[0];
  if (unset)
    throw new ConfigError(
      `${unset} must be set, and not empty, when DATABASE_URL is set and the API is served (MINITWIT_ROLE=api or all): ` +
        "unset, it would be the course's published credentials, which anyone can read. " +
        `Set your own; for the course's simulator, set its values explicitly (or ${unset}_FILE, a secret)`,
    );
  return config;
}
