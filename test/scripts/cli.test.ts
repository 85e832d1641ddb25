// The one CLI: every command and bench probe answers --help with its own text, and a mistake in how a
// command is called is refused with status 2 and the usage, before anything runs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { minitwit, type CommandLoaders, type CommandModule } from '../../scripts/commands/index.js';
import { loadOptional } from '../../scripts/lib/command.js';

const COMMANDS = [
  'migrate',
  'flag',
  'backup',
  'restore',
  'import-sqlite',
  'replay',
  'check-acknowledged',
  'scenario',
  'seed',
  'drill',
  'bench',
  'dashboards',
  'check-observability',
];
const PROBES = ['scale', 'soak', 'staleness', 'registrations', 'profile'];

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await minitwit(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('minitwit --help', () => {
  test('lists every command, each with a line of its own', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(out).toMatch(new RegExp(`^  ${command}\\b.* {2,}\\w`, 'm'));
  });

  test.each(COMMANDS)('minitwit %s --help prints its usage and exits 0', async (command) => {
    const { code, out } = await cli(command, '--help');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Usage: minitwit ${command}\\b`));
  });

  test.each(PROBES)('minitwit bench %s --help prints the probe’s usage', async (probe) => {
    const { code, out } = await cli('bench', probe, '--help');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Usage: minitwit bench ${probe}\\b`));
  });
});

describe('mistakes are refused with status 2, before anything runs', () => {
  test.each([
    [['nope'], /unknown command 'nope'/],
    [['migrate', '--force'], /unknown option '--force'/],
    [['scenario', '--actions'], /option '--actions <value>' argument missing/],
    [['scenario', '--actions', 'ten'], /--actions must be a positive integer/],
    [['migrate', 'extra'], /too many arguments/],
    [['bench', 'soak', '--minutes', '0'], /--minutes must be a positive integer/],
  ])('minitwit %j', async (argv, message) => {
    const { code, err } = await cli(...argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(/Usage: minitwit/);
  });
});

test('the package’s "bin" is the built CLI, which node runs', () => {
  const { bin } = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
  const run = spawnSync(process.execPath, [bin.minitwit!, 'scenario', '--actions', '3', '--seed', 'cli']);
  expect(run.stderr.toString()).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.toString().trim().split('\n')).toHaveLength(3);
});

describe('a tool’s optional library', () => {
  test('loads when installed, and when not, the error names it and how to install it', async () => {
    const croner = await loadOptional('croner', () => import('croner'));
    expect(typeof croner.Cron).toBe('function');
    const missing = 'no-such-package-for-minitwit';
    await expect(loadOptional(missing, () => import(missing))).rejects.toThrow(
      `${missing} is not installed: it is an optional dependency, which the app image leaves out (npm install --include=optional installs it)`,
    );
  });
});

describe('a command whose module needs a library that is not installed (as in the app image)', () => {
  const missing = 'no-such-package-for-minitwit';
  const loaders: CommandLoaders = [
    ['scenario', () => import('../../scripts/commands/scenario.js')],
    ['seed', () => import(missing) as Promise<CommandModule>],
  ];
  async function cliWith(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {} };
    const code = await minitwit(argv, io, loaders);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('is listed as unavailable, naming the library', async () => {
    const { code, out } = await cliWith('--help');
    expect(code).toBe(0);
    const oneLine = out.replace(/\s+/g, ' ');
    expect(oneLine).toContain(`seed (unavailable: needs ${missing}, which is not installed here`);
    expect(oneLine).toMatch(/scenario \[options\] generate a simulator scenario file/);
  });

  test('refuses to run with status 2 and says why, whatever its arguments', async () => {
    const { code, err } = await cliWith('seed', '--users', '5');
    expect(code).toBe(2);
    expect(err).toContain(`minitwit seed needs ${missing}, which is not installed here`);
  });

  test('leaves the other commands working', async () => {
    const { code, out } = await cliWith('scenario', '--actions', '2', '--seed', 'cli');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(2);
  });
});
