// SQL for the users table.
import type { Queryable } from '../db/index.js';

export interface User {
  userId: number;
  username: string;
  email: string;
  pwHash: string;
}

const USER_COLUMNS = 'user_id AS "userId", username, email, pw_hash AS "pwHash"';

export async function findUserByName(db: Queryable, username: string): Promise<User | undefined> {
  const rows = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]);
  return rows[0];
}

export async function findUserById(db: Queryable, userId: number): Promise<User | undefined> {
  const rows = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE user_id = $1`, [userId]);
  return rows[0];
}

export async function findUserIdByName(db: Queryable, username: string): Promise<number | undefined> {
  const rows = await db.query<{ userId: number }>(
    'SELECT user_id AS "userId" FROM users WHERE username = $1',
    [username],
  );
  return rows[0]?.userId;
}

/** Inserts a user; returns the new id, or undefined when the username is taken (also under a race). */
export async function insertUser(
  db: Queryable,
  user: { username: string; email: string; pwHash: string },
): Promise<number | undefined> {
  const rows = await db.query<{ userId: number }>(
    `INSERT INTO users (username, email, pw_hash) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO NOTHING
     RETURNING user_id AS "userId"`,
    [user.username, user.email, user.pwHash],
  );
  return rows[0]?.userId;
}

export async function updatePasswordHash(db: Queryable, userId: number, pwHash: string): Promise<void> {
  await db.query('UPDATE users SET pw_hash = $2 WHERE user_id = $1', [userId, pwHash]);
}
