// What every ops command shares: one shape (`run(argv, io)` resolving to an exit code), one argument
// parser (node:util's parseArgs) with `--help`, and the app's own way to start its database.
//   0: done   1: done, but something failed (the command says what)   2: nothing done (usage, configuration)
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startDatabase, type StartOptions } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { Database } from '../src/db/index.js';
import { createLogger } from '../src/observability/logger.js';

/**
 * How ops commands read the configuration: as the API role (they serve no pages, so need no
 * SESSION_SECRET) and without the statement timeout that bounds a request's queries (a seed's COPY, a
 * restore or an import runs for minutes by design).
 */
export const OPS_SCRIPT_ENV = { MINITWIT_ROLE: 'api', DB_STATEMENT_TIMEOUT_MS: '0' } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The database to work on; by default the one `env` names, started (and closed) by the command. */
  db?: Database;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
};

export type Command = (argv: string[], io?: Io) => Promise<number>;

/** A mistake in how the command was called: reported with the usage text, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;
type ParseConfig<O extends Options, P extends boolean> = {
  args: string[];
  options: O;
  allowPositionals: P;
  strict: true;
};
type Parsed<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<ParseConfig<O, P>>>;

export interface CommandSpec<O extends Options, P extends boolean> {
  /** As the user types it after `npm run`: shown in messages. */
  name: string;
  /** The whole --help text. */
  usage: string;
  options: O;
  allowPositionals?: P;
}

/** A command: parses `argv` (answering --help itself), runs `body`, and maps failures to exit statuses. */
export function defineCommand<O extends Options, P extends boolean = false>(
  spec: CommandSpec<O, P>,
  body: (args: Parsed<O, P>, io: Io) => Promise<number>,
): Command {
  return async (argv, io = processIo) => {
    try {
      if (argv.includes('--help') || argv.includes('-h')) {
        io.out(spec.usage);
        return 0;
      }
      const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as O;
      const allowPositionals = (spec.allowPositionals ?? false) as P;
      const args: Parsed<O, P> = parseArgs<ParseConfig<O, P>>({
        args: argv,
        options,
        allowPositionals,
        strict: true,
      });
      return await body(args, io);
    } catch (error) {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        io.err(`${spec.name}: ${(error as Error).message}\n\n${spec.usage}`);
        return 2;
      }
      if (error instanceof ConfigError) {
        io.err(`${spec.name}: configuration: ${error.message}`);
        return 2;
      }
      throw error;
    }
  };
}

/** Runs `command` with the process's arguments when `moduleUrl` is the script node started (not a test's import). */
export function runMain(moduleUrl: string, command: Command): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  command(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

/** A positive integer option, or `fallback` when not given. */
export function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${name} must be a positive integer`);
  return Number(value);
}

/**
 * Runs `task` on the configured database, started as the app starts it (migrated, instrumented), then
 * closes it (`options.open` opens it another way, e.g. keeping the raw handle), configured as
 * OPS_SCRIPT_ENV says. Logs only warnings, to stderr, so that stdout holds only the command's output.
 */
export async function withDatabase<T>(
  io: Io,
  task: (db: Database) => Promise<T>,
  options: StartOptions = {},
): Promise<T> {
  if (io.db) return task(io.db);
  const config = loadConfig({ ...io.env, ...OPS_SCRIPT_ENV });
  const logger = createLogger({ ...config, logLevel: 'warn' }, process.stderr);
  const db = await startDatabase(config, logger, options);
  try {
    return await task(db);
  } finally {
    await db.close();
  }
}
