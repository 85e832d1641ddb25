// minitwit scenario: writes a made-up simulator scenario (the course's tab-separated format) for the replay tool.
import { writeFile } from 'node:fs/promises';
import { defineCommand, positiveInteger, UsageError } from '../lib/command.js';
import { formatScenario } from '../replay/scenario-file.js';
import { generateScenario } from '../scenario/generate.js';

const USAGE = `Usage: minitwit scenario --actions N [--users U] [--seed S] [--user-suffix TEXT] [--out FILE]

Generates N actions (default users: about 0.8% of N) in the course's scenario format, the same for the
same seed; to stdout unless --out is given. Replay it with: minitwit replay --url URL --csv FILE

  --user-suffix TEXT  appended to every user name: the names come from a small pool (the course's own
                      scenario's), so a second scenario replayed onto the same database needs its own
                      suffix, or the two share users and the end-state check fails`;

export const run = defineCommand(
  {
    name: 'scenario',
    summary: 'generate a simulator scenario file',
    usage: USAGE,
    options: {
      actions: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string', default: '0' },
      'user-suffix': { type: 'string', default: '' },
      out: { type: 'string' },
    },
  },
  async ({ values }, io) => {
    if (values.actions === undefined) throw new UsageError('--actions is required');
    const actions = positiveInteger(values.actions, '--actions', 0);
    const users = values.users === undefined ? undefined : positiveInteger(values.users, '--users', 0);
    const text = formatScenario(
      generateScenario({
        actions,
        seed: values.seed,
        userSuffix: values['user-suffix'],
        ...(users ? { users } : {}),
      }),
    );
    if (values.out) await writeFile(values.out, text, 'utf8');
    else io.out(text.replace(/\n$/, ''));
    return 0;
  },
);
