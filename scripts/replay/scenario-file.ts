// The course's scenario format: one action a line, tab-separated, no header, no quoting:
//   id  delay  timestamp  action  user  ...   (register: email, password; tweet: text; follow/unfollow: other)
// Fields are taken verbatim: passwords hold quotes and backslashes, names hold spaces, so nothing is unescaped.

interface ActionBase {
  /** The simulator's action id, sent as `?latest=`. */
  id: number;
  /** Milliseconds the simulator waits before this action (the replay ignores it). */
  delay: number;
  /** Unix time in milliseconds at which the action happened in the recorded run. */
  timestamp: number;
  user: string;
}

export type ScenarioAction =
  | (ActionBase & { kind: 'register'; email: string; password: string })
  | (ActionBase & { kind: 'tweet'; text: string })
  | (ActionBase & { kind: 'follow' | 'unfollow'; other: string });

export type ActionKind = ScenarioAction['kind'];

export class ScenarioFormatError extends Error {
  override name = 'ScenarioFormatError';
}

const INTEGER = /^-?\d+$/;

function integerField(value: string | undefined, name: string, lineNumber: number): number {
  if (value === undefined || !INTEGER.test(value)) {
    throw new ScenarioFormatError(
      `line ${lineNumber}: ${name} must be an integer, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** Parses one line (without its newline). `lineNumber` (1-based) only serves error messages. */
function parseScenarioLine(line: string, lineNumber: number): ScenarioAction {
  const fields = line.split('\t');
  const [rawId, rawDelay, rawTimestamp, kind, user, ...rest] = fields;
  const base: ActionBase = {
    id: integerField(rawId, 'id', lineNumber),
    delay: integerField(rawDelay, 'delay', lineNumber),
    timestamp: integerField(rawTimestamp, 'timestamp', lineNumber),
    user: user ?? '',
  };
  if (user === undefined || user === '') throw new ScenarioFormatError(`line ${lineNumber}: no user`);
  // A tab cannot be told from a separator; keeping the rest joined in the last field loses nothing.
  const lastField = rest.length > 0 ? rest.join('\t') : undefined;
  switch (kind) {
    case 'register': {
      const [email, ...passwordParts] = rest;
      if (email === undefined || passwordParts.length === 0) {
        throw new ScenarioFormatError(`line ${lineNumber}: register needs an email and a password`);
      }
      return { ...base, kind, email, password: passwordParts.join('\t') };
    }
    case 'tweet':
      if (lastField === undefined) throw new ScenarioFormatError(`line ${lineNumber}: tweet needs a text`);
      return { ...base, kind, text: lastField };
    case 'follow':
    case 'unfollow':
      if (lastField === undefined || lastField === '') {
        throw new ScenarioFormatError(`line ${lineNumber}: ${kind} needs the other user`);
      }
      return { ...base, kind, other: lastField };
    default:
      throw new ScenarioFormatError(`line ${lineNumber}: unknown action ${JSON.stringify(kind)}`);
  }
}

/** Parses a whole file's text; blank lines are skipped, `\r\n` endings accepted. */
export function parseScenario(text: string, limit = Infinity): ScenarioAction[] {
  const actions: ScenarioAction[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length && actions.length < limit; index++) {
    const line = (lines[index] ?? '').replace(/\r$/, '');
    if (line === '') continue;
    actions.push(parseScenarioLine(line, index + 1));
  }
  return actions;
}

function actionFields(action: ScenarioAction): string[] {
  switch (action.kind) {
    case 'register':
      return [action.email, action.password];
    case 'tweet':
      return [action.text];
    default:
      return [action.other];
  }
}

/** Formats one action as a line, without its newline. Fields must hold no tab or newline. */
function formatScenarioLine(action: ScenarioAction): string {
  const fields = [
    String(action.id),
    String(action.delay),
    String(action.timestamp),
    action.kind,
    action.user,
  ];
  const all = [...fields, ...actionFields(action)];
  const bad = all.find((field) => /[\t\r\n]/.test(field));
  if (bad !== undefined) throw new ScenarioFormatError(`field ${JSON.stringify(bad)} holds a tab or newline`);
  return all.join('\t');
}

export const formatScenario = (actions: readonly ScenarioAction[]): string =>
  actions.map((action) => `${formatScenarioLine(action)}\n`).join('');
