// The CLI's commands, in the order `minitwit --help` lists them.
import { Command } from 'commander';
import { run as backup } from './backup.js';
import { run as bench } from './bench.js';
import { run as checkAcknowledged } from './check-acknowledged.js';
import { run as checkObservability } from './check-observability.js';
import { run as dashboards } from './dashboards.js';
import { run as drill } from './drill.js';
import { run as flag } from './flag.js';
import { run as importSqlite } from './import-sqlite.js';
import { run as migrate } from './migrate.js';
import { run as replay } from './replay.js';
import { run as restore } from './restore.js';
import { run as scenario } from './scenario.js';
import { run as seed } from './seed.js';
import { configure, processIo, runCommander, type Io } from '../lib/command.js';

const COMMANDS = [
  migrate,
  flag,
  backup,
  restore,
  importSqlite,
  replay,
  checkAcknowledged,
  scenario,
  seed,
  drill,
  bench,
  dashboards,
  checkObservability,
];

/** The whole CLI: `argv` is what follows `minitwit`. */
export function minitwit(argv: string[], io: Io = processIo): Promise<number> {
  return runCommander((exit) => {
    const program = configure(new Command('minitwit'), io)
      .description('MiniTwit’s operations, simulator and measurement tools')
      .helpCommand(false);
    for (const command of COMMANDS) program.addCommand(command.commander(io, exit));
    return program;
  }, argv);
}
