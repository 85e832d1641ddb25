// What the course's simulator sends for each scenario action, and how it judges the reply.
import { COURSE_SIMULATOR_CREDENTIALS } from '../../src/api/simulator/credentials.js';
import type { HttpOutcome, HttpRequest } from './http.js';
import type { ActionKind, ScenarioAction } from './scenario-file.js';

const USERNAME_TAKEN = 'The username is already taken';

export const basicAuthorization = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** The Authorization header the course's simulator sends. */
export const SIMULATOR_AUTHORIZATION = basicAuthorization(
  COURSE_SIMULATOR_CREDENTIALS.username,
  COURSE_SIMULATOR_CREDENTIALS.password,
);

/**
 * The body exactly as Python's `json.dumps` writes it (the simulator's serialiser): `": "` and `", "`
 * separators and every non-ASCII character escaped as `\uXXXX`, so servers see the very same bytes.
 */
export function pythonJson(fields: Record<string, string>): string {
  const escape = (value: string) =>
    JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  const entries = Object.entries(fields).map(([key, value]) => `${escape(key)}: ${escape(value)}`);
  return `{${entries.join(', ')}}`;
}

const userPath = (prefix: string, user: string) => `${prefix}/${encodeURIComponent(user)}`;

export function simulatorRequest(action: ScenarioAction, giveUpMs: number): HttpRequest {
  const query = `?latest=${action.id}`;
  switch (action.kind) {
    case 'register':
      return {
        method: 'POST',
        path: `/register${query}`,
        body: pythonJson({ username: action.user, email: action.email, pwd: action.password }),
        giveUpMs,
      };
    case 'tweet':
      return {
        method: 'POST',
        path: userPath('/msgs', action.user) + query,
        body: pythonJson({ content: action.text }),
        giveUpMs,
      };
    case 'follow':
    case 'unfollow':
      return {
        method: 'POST',
        path: userPath('/fllws', action.user) + query,
        body: pythonJson({ [action.kind]: action.other }),
        giveUpMs,
      };
  }
}

export type ActionResult =
  | { kind: 'ok'; latencyMs: number }
  /** A register of an existing name: refused, but the simulator does not count it as an error. */
  | { kind: 'username-taken'; latencyMs: number }
  | { kind: 'wrong-status'; status: number; errorMessage: string; latencyMs: number }
  /** Slower than the simulator's timeout; `late` is the reply that came after all, if one did. */
  | { kind: 'timeout'; late?: { status: number; latencyMs: number } }
  | { kind: 'connection'; message: string };

function errorMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error_msg?: unknown };
    if (typeof parsed.error_msg === 'string') return parsed.error_msg;
  } catch {
    // Not JSON: show the start of the body instead.
  }
  return body.slice(0, 200);
}

/** The simulator expects 204 for every action, within `timeoutMs`. */
export function judgeOutcome(kind: ActionKind, outcome: HttpOutcome, timeoutMs: number): ActionResult {
  if (outcome.kind === 'timeout') return { kind: 'timeout' };
  if (outcome.kind === 'connection') return { kind: 'connection', message: outcome.message };
  const { status, latencyMs } = outcome;
  if (latencyMs > timeoutMs) return { kind: 'timeout', late: { status, latencyMs } };
  if (status === 204) return { kind: 'ok', latencyMs };
  const errorMessage = errorMessageOf(outcome.body);
  if (kind === 'register' && status === 400 && errorMessage === USERNAME_TAKEN) {
    return { kind: 'username-taken', latencyMs };
  }
  return { kind: 'wrong-status', status, errorMessage, latencyMs };
}
