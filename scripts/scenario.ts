// Writes a made-up simulator scenario (the course's tab-separated format) for the replay tool.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatScenario } from './replay/scenario-file.js';
import { generateScenario } from './scenario/generate.js';

const USAGE = `Usage: npm run scenario -- --actions N [--users U] [--seed S] [--out FILE]

Generates N actions (default users: about 0.8% of N) in the course's scenario format, the same for the
same seed; to stdout unless --out is given. Replay it with: npm run replay -- --url URL --csv FILE`;

function fail(message: string): never {
  process.stderr.write(`scenario: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) fail(`${name} must be a positive integer`);
  return Number(value);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      actions: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  const actions = count(values.actions, '--actions') ?? fail('--actions is required');
  const users = count(values.users, '--users');
  const text = formatScenario(generateScenario({ actions, seed: values.seed, ...(users ? { users } : {}) }));
  if (values.out) await writeFile(values.out, text, 'utf8');
  else process.stdout.write(text);
}
