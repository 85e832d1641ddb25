// Registration and sign-in: the rules shared by the web pages and the simulator API.
import type { Queryable } from '../db/index.js';
import {
  findUserByName,
  findUserIdByName,
  insertUser,
  updatePasswordHash,
  type User,
} from '../data/users.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';

export interface Registration {
  username?: string | undefined;
  email?: string | undefined;
  password?: string | undefined;
  /** The web form's repeated password; the API has none. */
  password2?: string | undefined;
}

export type RegisterResult = { ok: true; userId: number } | { ok: false; error: string };

/** The original's checks, in the original's order, with its words. */
export function registrationError(input: Registration): string | undefined {
  if (!input.username) return 'You have to enter a username';
  if (!input.email || !input.email.includes('@')) return 'You have to enter a valid email address';
  if (!input.password) return 'You have to enter a password';
  if (input.password2 !== undefined && input.password !== input.password2)
    return 'The two passwords do not match';
  return undefined;
}

export async function registerUser(db: Queryable, input: Registration): Promise<RegisterResult> {
  const error = registrationError(input);
  if (error) return { ok: false, error };
  const username = input.username!;
  const taken = { ok: false, error: 'The username is already taken' } as const;
  // Checked before hashing, so a duplicate costs one index lookup rather than a KDF run.
  if ((await findUserIdByName(db, username)) !== undefined) return taken;
  const pwHash = await hashPassword(input.password!);
  const userId = await insertUser(db, { username, email: input.email!, pwHash });
  return userId === undefined ? taken : { ok: true, userId };
}

export type SignInResult =
  { ok: true; user: User } | { ok: false; error: 'Invalid username' | 'Invalid password' };

/** Checks credentials; an old (Werkzeug or weaker) hash is replaced by a current one on success. */
export async function signIn(db: Queryable, username: string, password: string): Promise<SignInResult> {
  const user = await findUserByName(db, username);
  if (!user) return { ok: false, error: 'Invalid username' };
  if (!(await verifyPassword(password, user.pwHash))) return { ok: false, error: 'Invalid password' };
  if (needsRehash(user.pwHash)) await updatePasswordHash(db, user.userId, await hashPassword(password));
  return { ok: true, user };
}
