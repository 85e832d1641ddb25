// What every `minitwit <command>` shares: one shape (`run(argv, io)` resolving to an exit code), commander
// for the parsing and `--help`, and the app's own way to start its database.
//   0: done   1: done, but something failed (the command says what)   2: nothing done (usage, configuration)
import type { parseArgs, ParseArgsConfig } from 'node:util';
import { Command, CommanderError, Option } from 'commander';
import { startDatabase, type StartOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/settings.js';
import type { Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/logger.js';

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

/** A tool's library that is not installed (the app image leaves the optional dependencies out): exit status 2. */
class MissingLibraryError extends Error {
  override name = 'MissingLibraryError';
}

/**
 * A tool's own library (an optional dependency), loaded when the tool runs, so that the other commands
 * run without it: `loadOptional('croner', () => import('croner'))`.
 */
export async function loadOptional<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new MissingLibraryError(
      `${name} is not installed: it is an optional dependency, which the app image leaves out ` +
        `(npm install --include=optional installs it)`,
    );
  }
}

/** A mistake in how the command was called: reported with the usage text, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

// The options are declared as node:util's parseArgs declares them, which types `values` from the
// declaration (a string with a default is a string, without one string | undefined); commander parses.
type Options = NonNullable<ParseArgsConfig['options']>;
type ParseConfig<O extends Options, P extends boolean> = {
  args: string[];
  options: O;
  allowPositionals: P;
  strict: true;
};
type Parsed<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<ParseConfig<O, P>>>;

export interface CommandSpec<O extends Options, P extends boolean> {
  /** As the user types it after `minitwit`. */
  name: string;
  /** One line, for `minitwit --help`. */
  summary: string;
  /** The whole --help text. */
  usage: string;
  options: O;
  allowPositionals?: P;
  /** Commands of its own (`minitwit bench scale ...`); without one named, this command runs. */
  subcommands?: CliCommand[];
}

export interface CliCommand {
  /** Runs the command on its own (as tests do): `argv` is what follows its name. */
  (argv: string[], io?: Io): Promise<number>;
  /** The commander command; its action hands the exit status to `exit`. */
  commander(io: Io, exit: (code: number) => void): Command;
}

/** A command: commander parses `argv` (answering --help itself), `body` runs, failures map to exit statuses. */
export function defineCommand<O extends Options, P extends boolean = false>(
  spec: CommandSpec<O, P>,
  body: (args: Parsed<O, P>, io: Io) => Promise<number>,
): CliCommand {
  const commander = (io: Io, exit: (code: number) => void): Command => {
    const command = configure(new Command(spec.name), io)
      .summary(spec.summary)
      .configureHelp({ formatHelp: () => `${spec.usage.replace(/\n+$/, '')}\n` });
    for (const [name, option] of Object.entries(spec.options)) {
      const declared = new Option(option.type === 'boolean' ? `--${name}` : `--${name} <value>`);
      if (option.default !== undefined) declared.default(option.default);
      else if (option.type === 'boolean') declared.default(false);
      command.addOption(declared);
    }
    if (spec.allowPositionals) command.argument('[arguments...]');
    for (const subcommand of spec.subcommands ?? []) command.addCommand(subcommand.commander(io, exit));
    return command.action(async (...args: unknown[]) => {
      const self = args.at(-1) as Command;
      const opts = self.opts();
      const values = Object.fromEntries(
        self.options.map((option) => [option.long!.slice(2), opts[option.attributeName()]]),
      );
      const parsed = { values, positionals: spec.allowPositionals ? self.args : [] } as Parsed<O, P>;
      try {
        exit(await body(parsed, io));
      } catch (error) {
        if (error instanceof UsageError) {
          io.err(`minitwit ${spec.name}: ${error.message}\n\n${spec.usage}`);
          exit(2);
        } else if (error instanceof ConfigError) {
          io.err(`minitwit ${spec.name}: configuration: ${error.message}`);
          exit(2);
        } else if (error instanceof MissingLibraryError) {
          io.err(`minitwit ${spec.name}: ${error.message}`);
          exit(2);
        } else throw error;
      }
    });
  };
  const run = (argv: string[], io: Io = processIo) => runCommander((exit) => commander(io, exit), argv);
  return Object.assign(run, { commander });
}

/** Commander's output through `io`, and its exits as exceptions (so that a test's process lives on). */
export function configure(command: Command, io: Io): Command {
  return command
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
    });
}

/** Parses `argv` with the command `build` makes, and resolves to the exit status. */
export async function runCommander(
  build: (exit: (code: number) => void) => Command,
  argv: string[],
): Promise<number> {
  let status = 0;
  const command = build((code) => {
    status = code;
  });
  try {
    await command.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.exitCode === 0 ? 0 : 2;
  }
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
