// The CLI's commands, in the order `minitwit --help` lists them. Each command's module is loaded when the
// CLI starts; one that needs a library not installed here (the image ships without the development and
// optional ones: the bench, the seeder, the dashboards) is listed as unavailable instead of taking every
// other command down with it.
import { Command } from 'commander';
import { configure, processIo, runCommander, type Io } from '../lib/command.js';

export type CommandModule = { run: { commander(io: Io, exit: (code: number) => void): Command } };

export type CommandLoaders = [name: string, load: () => Promise<CommandModule>][];

const COMMANDS: CommandLoaders = [
  ['migrate', () => import('./migrate.js')],
  ['flag', () => import('./flag.js')],
  ['backup', () => import('./backup.js')],
  ['restore', () => import('./restore.js')],
  ['import-sqlite', () => import('./import-sqlite.js')],
  ['replay', () => import('./replay.js')],
  ['check-acknowledged', () => import('./check-acknowledged.js')],
  ['scenario', () => import('./scenario.js')],
  ['seed', () => import('./seed.js')],
  ['drill', () => import('./drill.js')],
  ['bench', () => import('./bench.js')],
  ['dashboards', () => import('./dashboards.js')],
  ['check-observability', () => import('./check-observability.js')],
];

/** The package a module could not find, when that is why it failed to load. */
function missingPackage(error: unknown): string | undefined {
  if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return /Cannot find package '([^']+)'/.exec((error as Error).message)?.[1] ?? 'a library';
}

function unavailable(name: string, missing: string, io: Io, exit: (code: number) => void): Command {
  const why = `needs ${missing}, which is not installed here (a development install: npm ci)`;
  return configure(new Command(name), io)
    .description(`(unavailable: ${why})`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      io.err(`minitwit ${name} ${why}`);
      exit(2);
    });
}

async function loadCommands(
  io: Io,
  exit: (code: number) => void,
  loaders: CommandLoaders,
): Promise<Command[]> {
  const commands: Command[] = [];
  for (const [name, load] of loaders) {
    try {
      commands.push((await load()).run.commander(io, exit));
    } catch (error) {
      const missing = missingPackage(error);
      if (missing === undefined) throw error;
      commands.push(unavailable(name, missing, io, exit));
    }
  }
  return commands;
}

/** The whole CLI: `argv` is what follows `minitwit`; `loaders`, the commands it offers. */
export async function minitwit(
  argv: string[],
  io: Io = processIo,
  loaders: CommandLoaders = COMMANDS,
): Promise<number> {
  let status = 0;
  const commands = await loadCommands(
    io,
    (code) => {
      status = code;
    },
    loaders,
  );
  const code = await runCommander(() => {
    const program = configure(new Command('minitwit'), io)
      .description('MiniTwit’s operations, simulator and measurement tools')
      .helpCommand(false);
    for (const command of commands) program.addCommand(command);
    return program;
  }, argv);
  return code !== 0 ? code : status;
}
