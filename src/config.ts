// All configuration comes from the environment, is validated here once, and is typed from then on.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const EnvSchema = Type.Object({
  MINITWIT_ROLE: Type.Union([Type.Literal('all'), Type.Literal('web'), Type.Literal('api')], {
    default: 'all',
  }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 5000 }),
  API_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 5001 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty'), Type.Literal('auto')], {
    default: 'auto',
  }),
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  SIMULATOR_USERNAME: Type.String({ minLength: 1, default: 'simulator' }),
  SIMULATOR_PASSWORD: Type.String({ minLength: 1, default: 'super_safe!' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10000 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
});

export type Env = Static<typeof EnvSchema>;

export interface Config {
  role: Env['MINITWIT_ROLE'];
  host: string;
  webPort: number;
  apiPort: number;
  databaseUrl: string | undefined;
  dataDir: string;
  dbPoolSize: number;
  logLevel: Env['LOG_LEVEL'];
  logFormat: Env['LOG_FORMAT'];
  sessionSecret: string | undefined;
  simulator: { username: string; password: string };
  shutdownTimeoutMs: number;
  trustProxy: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the variables we know from `env`, fills defaults, and fails naming the first wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') known[key] = value;
  }
  const withDefaults = Value.Default(EnvSchema, Value.Convert(EnvSchema, known));
  const error = Value.Errors(EnvSchema, withDefaults).First();
  if (error) {
    const variable = error.path.replace(/^\//, '');
    const shown = variable.includes('SECRET') || variable.includes('PASSWORD') ? '(hidden)' : env[variable];
    throw new ConfigError(`Invalid environment variable ${variable}=${shown ?? ''}: ${error.message}`);
  }
  const e = withDefaults as Env;
  // Replicas behind one database must sign session cookies with one secret; a random per-process one
  // would sign people out whenever a request reaches another replica or the process restarts.
  if (e.MINITWIT_ROLE !== 'api' && e.DATABASE_URL && !e.SESSION_SECRET) {
    throw new ConfigError(
      'SESSION_SECRET must be set (32+ characters, the same on every replica) when DATABASE_URL is set and the web pages are served (MINITWIT_ROLE=web or all)',
    );
  }
  return {
    role: e.MINITWIT_ROLE,
    host: e.HOST,
    webPort: e.PORT,
    apiPort: e.API_PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    dbPoolSize: e.DB_POOL_SIZE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    sessionSecret: e.SESSION_SECRET,
    simulator: { username: e.SIMULATOR_USERNAME, password: e.SIMULATOR_PASSWORD },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY,
  };
}
