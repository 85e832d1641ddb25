// How a setting is read from the environment, for the app's configuration (config.ts) and the backup tool's
// (scripts/backup-config.ts): a flat TypeBox schema whose settings each name their variable. Any variable can
// also be read from the file that `<VARIABLE>_FILE` names (Docker and Swarm secrets are mounted as files).
import { readFileSync } from 'node:fs';
import type { StaticDecode, TObject, TSchema } from '@sinclair/typebox';
import { AssertError, TransformDecodeError, Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Variable {
  env: string;
  /** How an error message may show the value: never for a secret. */
  show?: (value: string) => string;
}
export const HIDDEN = () => '(hidden)';
/** A setting: `schema` read from the variable `env`. */
export const from = <T extends TSchema>(env: string, schema: T, show?: Variable['show']): T =>
  Object.assign(schema, { env, show });

/** `NAME_FILE` read into `NAME` (a file written by `echo` or an editor ends with a newline that is not the value's). */
function withFiles(env: NodeJS.ProcessEnv, names: string[]): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file && env[name]) throw new ConfigError(`Set ${name} or ${name}_FILE, not both`);
    try {
      values[name] = file ? readFileSync(file, 'utf8').replace(/\r?\n$/, '') : env[name] || undefined;
    } catch (error) {
      throw new ConfigError(`Cannot read ${name}_FILE=${file}: ${(error as Error).message}`);
    }
    // A secret mounted from an empty file is a mistake (a secret created from an unset variable), never
    // a choice: said so, rather than left to a setting's default.
    if (file && values[name] === '') throw new ConfigError(`${name}_FILE=${file} is empty`);
  }
  return values;
}

/**
 * The settings `schema` declares (a flat object of `from(...)` settings), read from `env`, converted and
 * defaults filled; fails naming the first wrong variable.
 */
export function loadSettings<S extends TObject>(schema: S, env: NodeJS.ProcessEnv): StaticDecode<S> {
  const settings = schema.properties as Record<string, TSchema & Variable>;
  const names = Object.values(settings).map((setting) => setting.env);
  const values = withFiles(env, names);
  const given = Object.fromEntries(Object.entries(settings).map(([key, { env }]) => [key, values[env]]));
  try {
    return Value.Parse(['Convert', 'Default', 'Assert', 'Decode'], schema, given) as StaticDecode<S>;
  } catch (error) {
    if (!(error instanceof AssertError || error instanceof TransformDecodeError)) throw error;
    const path = (error instanceof AssertError ? error.error?.path : error.path) ?? '';
    const setting = settings[path.slice(1)];
    const value = (setting && values[setting.env]) ?? '';
    throw new ConfigError(
      `Invalid environment variable ${setting?.env ?? path}=${setting?.show?.(value) ?? value}: ${error.message}`,
    );
  }
}
