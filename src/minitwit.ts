// What MiniTwit does: its actions and their rules, read top to bottom as the original minitwit.py.
// The web pages and the simulator API are two doors onto these functions: they parse a request, call one
// of them and shape the reply. Each action that changes something counts its own business event, once
// the change is stored. The SQL is in src/data, one module per table group.
import type { Queryable } from './db/index.js';
import { readCacheOf, type Scope } from './caching/read-cache.js';
import { changeFollow, isFollowing, listFollowedNames, type FollowChangeKind } from './data/follows.js';
import type { PendingLatest } from './data/simulator.js';
import {
  flagMessages,
  insertMessageAs,
  listMessagesForModeration,
  personalTimeline as readPersonalTimeline,
  publicTimeline as readPublicTimeline,
  userTimeline as readUserTimeline,
  type ModerationRow,
  type PageRequest,
  type TimelineMessage,
} from './data/messages.js';
import {
  findNameBySkeleton,
  findUserById,
  findUserByName,
  findUserIdByName,
  insertUser,
  type UserKey,
  raiseSessionVersion,
  setSkeletons,
  updatePasswordHash,
  usersWithoutSkeleton,
} from './data/users.js';
import type { Attempt } from './abuse-limits.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { countBusinessEvent, type Source } from './observability/metrics.js';
import { nameSkeleton, normaliseUsername, scriptProblem, usernameProblem } from './usernames.js';

export type { PageRequest, TimelineMessage, ModerationRow };

// ---- The rules a request can break -------------------------------------------------------------------

/** A user named in a request does not exist (a 404 at either door). */
export class UnknownUserError extends Error {
  override name = 'UnknownUserError';
  readonly statusCode = 404;
  constructor(readonly username: string) {
    super(`Unknown user: ${username}`);
  }
}

/** A request broke one of MiniTwit's rules; the message, in the original's words, says which (a 400). */
export class RuleError extends Error {
  override name = 'RuleError';
  readonly statusCode: number = 400;
}

/** Who acts: the web knows the signed-in user's id, the simulator API names the user in the path. */
export type UserRef = { userId: number } | { username: string };

/** A user as the pages show them: never the password hash. */
export interface Profile {
  userId: number;
  username: string;
}

async function userIdOf(db: Queryable, user: UserRef): Promise<number> {
  if ('userId' in user) return user.userId;
  return (await profileOf(db, user.username)).userId;
}

/** A user by name; a name never changes its id, so a found one is kept in the process (never a miss). */
async function profileOf(db: Queryable, username: string): Promise<Profile> {
  const known = readCacheOf(db)?.users;
  const cached = known?.get(username);
  if (cached) return cached;
  const user = await findUserByName(db, username);
  if (!user) throw new UnknownUserError(username);
  const profile = { userId: user.userId, username: user.username };
  known?.set(username, profile);
  return profile;
}

/** The user as a write names it: by id when known here, else by name (resolved in the write itself). */
function userKeyOf(db: Queryable, user: UserRef): UserKey {
  if ('userId' in user) return user;
  const cached = readCacheOf(db)?.users.get(user.username);
  return cached ? { userId: cached.userId } : user;
}

/**
 * The user a session names and the session version their sessions must carry (signOut raises it), or
 * undefined when the account is gone (a signed-in user whose account is gone counts as signed out).
 */
export async function findSessionUser(
  db: Queryable,
  userId: number,
): Promise<{ profile: Profile; sessionVersion: number } | undefined> {
  const user = await findUserById(db, userId);
  return (
    user && { profile: { userId: user.userId, username: user.username }, sessionVersion: user.sessionVersion }
  );
}

// ---- Accounts -----------------------------------------------------------------------------------------

export interface Registration {
  username: string | undefined;
  email: string | undefined;
  password: string | undefined;
  /** The web form's repeated password; the API has none. */
  password2?: string | undefined;
}

/** The original's checks, in the original's order, with its words. */
function registrationError(input: Registration): string | undefined {
  if (!input.username) return 'You have to enter a username';
  if (!input.email?.includes('@')) return 'You have to enter a valid email address';
  if (!input.password) return 'You have to enter a password';
  if (input.password2 !== undefined && input.password !== input.password2)
    return 'The two passwords do not match';
  return undefined;
}

/**
 * Registers a user; returns the new id. Beyond the original's checks, the name must be one a person can
 * be told apart by (src/usernames.ts): not a route's, nothing invisible, not a look-alike of an existing
 * user's. With an `attempt`, the account counts against the abuse limits (the trusted simulator has none).
 */
export async function register(
  db: Queryable,
  source: Source,
  input: Registration,
  attempt?: Attempt,
): Promise<number> {
  const error = registrationError(input);
  if (error) throw new RuleError(error);
  const { email, password } = input as { [K in keyof Registration]-?: string };
  const username = normaliseUsername(input.username!);
  const problem = usernameProblem(username);
  if (problem) throw new RuleError(problem);
  const taken = new RuleError('The username is already taken');
  // Checked before hashing, so a duplicate costs one index lookup rather than a KDF run.
  if ((await findUserIdByName(db, username)) !== undefined) throw taken;
  const skeleton = nameSkeleton(username);
  const lookalike = await findNameBySkeleton(db, skeleton);
  if (lookalike !== undefined)
    throw new RuleError(`The username looks like that of the existing user ${JSON.stringify(lookalike)}`);
  const mixed = scriptProblem(username);
  if (mixed) throw new RuleError(mixed);
  await attempt?.limits.signUp(attempt.client, email);
  const userId = await insertUser(db, { username, email, pwHash: await hashPassword(password), skeleton });
  if (userId === undefined) throw taken; // registered by someone else meanwhile
  countBusinessEvent('user_registered', source);
  return userId;
}

/**
 * Checks credentials; an old (Werkzeug or weaker) hash is replaced by a current one on success. With an
 * `attempt`, failures count against the abuse limits and a client or account over them is refused first.
 */
export async function signIn(
  db: Queryable,
  username: string,
  password: string,
  attempt?: Attempt,
): Promise<Profile & { sessionVersion: number }> {
  await attempt?.limits.beforeSignIn(attempt.client, username);
  const user = await findUserByName(db, username);
  const failure = !user
    ? 'Invalid username'
    : (await verifyPassword(password, user.pwHash))
      ? undefined
      : 'Invalid password';
  if (!user || failure) {
    await attempt?.limits.signInFailed(attempt.client, username);
    throw new RuleError(failure ?? 'Invalid username');
  }
  await attempt?.limits.signInSucceeded(username);
  if (needsRehash(user.pwHash)) await updatePasswordHash(db, user.userId, await hashPassword(password));
  return { userId: user.userId, username: user.username, sessionVersion: user.sessionVersion };
}

/** Ends every session of the user, on every device and replica (a copied cookie too). */
export async function signOut(db: Queryable, userId: number): Promise<void> {
  await raiseSessionVersion(db, userId);
}

/**
 * Users who registered before names had skeletons get theirs (at start, after the migrations), so that
 * a new name is compared with every existing one.
 */
export async function backfillNameSkeletons(db: Queryable): Promise<number> {
  let done = 0;
  for (;;) {
    const users = await usersWithoutSkeleton(db, 1000);
    if (users.length === 0) return done;
    await setSkeletons(
      db,
      users.map((u) => ({ userId: u.userId, skeleton: nameSkeleton(u.username) })),
    );
    done += users.length;
  }
}

// ---- Messages ------------------------------------------------------------------------------------------

/**
 * Stores a message as posted now by `author`. A message needs text. One statement (one round trip, one
 * commit) resolves the author, stores the message and records the simulator's `latest`, if given.
 */
export async function postMessage(
  db: Queryable,
  source: Source,
  author: UserRef,
  text: string,
  latest?: PendingLatest,
): Promise<void> {
  if (text.length === 0) {
    await userIdOf(db, author); // an unknown author is a 404 before an empty text is a 400
    throw new RuleError('A message needs text');
  }
  const posted = await insertMessageAs(db, userKeyOf(db, author), text, latest);
  if (!posted) throw new UnknownUserError((author as { username: string }).username);
  readCacheOf(db)?.changed({ messagesOf: posted.authorId });
  countBusinessEvent('message_posted', source);
}

// ---- Following -----------------------------------------------------------------------------------------

/** A user already follows as many users as one may (FOLLOW_LIMIT); a 400 at either door. */
export class FollowLimitError extends RuleError {
  override name = 'FollowLimitError';
  constructor(readonly limit: number) {
    super(`You cannot follow more than ${limit} users; unfollow someone first`);
  }
}

/**
 * `who` follows the user named `whom`; following twice changes nothing. Returns whom's profile. One user
 * follows at most `followLimit` users: the personal timeline reads one index entry per followed user, so
 * the cap bounds its cost. (Concurrent follows by one user may pass it by as many as run at once.)
 */
export function follow(
  db: Queryable,
  source: Source,
  who: UserRef,
  whom: string,
  { followLimit }: { followLimit: number },
  latest?: PendingLatest,
): Promise<Profile> {
  return changeFollowOf(db, source, { change: 'follow', limit: followLimit }, who, whom, latest);
}

/** `who` stops following `whom`; unfollowing someone not followed changes nothing. Returns whom's profile. */
export function unfollow(
  db: Queryable,
  source: Source,
  who: UserRef,
  whom: string,
  latest?: PendingLatest,
): Promise<Profile> {
  return changeFollowOf(db, source, { change: 'unfollow' }, who, whom, latest);
}

/** One statement (one round trip, one commit): both users resolved, the follow changed, `latest` recorded. */
async function changeFollowOf(
  db: Queryable,
  source: Source,
  change: FollowChangeKind,
  who: UserRef,
  whom: string,
  latest?: PendingLatest,
): Promise<Profile> {
  const result = await changeFollow(db, change, userKeyOf(db, who), whom, latest);
  if (result.whoId === undefined) throw new UnknownUserError((who as { username: string }).username);
  if (!result.whom) throw new UnknownUserError(whom);
  // At the limit, following someone already followed still changes nothing, without an error.
  if (result.atLimit && change.change === 'follow') throw new FollowLimitError(change.limit);
  if (result.changed) {
    readCacheOf(db)?.changed({ followsOf: result.whoId });
    countBusinessEvent(change.change === 'follow' ? 'followed' : 'unfollowed', source);
  }
  return result.whom;
}

/** The names of the users `who` follows, in the order they were followed, at most `limit`. */
export async function followedNames(db: Queryable, who: UserRef, limit: number): Promise<string[]> {
  const whoId = await userIdOf(db, who);
  return cachedRead(db, `follows:${whoId}`, `${limit}`, () => listFollowedNames(db, whoId, limit));
}

// ---- The three timelines -------------------------------------------------------------------------------
// Unflagged messages, newest first, a page at a time (keyset pages: see PageRequest).

/**
 * How a door serves a timeline: the rows shaped once (serialised, or as page views) and kept so in the
 * process's read cache (src/caching/), one entry per shape and page. `fresh`: read from the database and
 * keep nothing (a page that must show the reader's own write at once, whichever replica serves it).
 */
export interface TimelineShape<T> {
  name: string;
  /** `owner`: whose timeline it is, for a user's timeline. */
  shape: (rows: TimelineMessage[], owner?: Profile) => T;
  fresh?: boolean;
}

const pageKey = (shape: TimelineShape<unknown>, page: PageRequest) =>
  `${shape.name}|${page.limit}|${page.before?.pubDate ?? ''}|${page.before?.messageId ?? ''}`;

function cachedRead<T>(
  db: Queryable,
  scope: Scope,
  key: string,
  load: () => Promise<T>,
  fresh = false,
): Promise<T> {
  const cache = readCacheOf(db);
  return cache ? cache.read(scope, key, load, fresh) : load();
}

/** Everyone's messages, shaped (and cached). */
export function publicTimelineAs<T>(db: Queryable, page: PageRequest, shape: TimelineShape<T>): Promise<T> {
  const load = async () => shape.shape(await readPublicTimeline(db, page));
  return cachedRead(db, 'public', pageKey(shape, page), load, shape.fresh);
}

/** One user's messages, shaped (and cached), with who they are and whether `viewer` follows them. */
export async function userTimelineAs<T>(
  db: Queryable,
  username: string,
  page: PageRequest,
  shape: TimelineShape<T>,
  viewer?: Profile,
): Promise<{ profile: Profile; followed: boolean; messages: T }> {
  const profile = await profileOf(db, username);
  const load = async () => shape.shape(await readUserTimeline(db, profile.userId, page), profile);
  const [followed, messages] = await Promise.all([
    viewer ? isFollowing(db, viewer.userId, profile.userId) : false,
    cachedRead(db, `author:${profile.userId}`, pageKey(shape, page), load, shape.fresh),
  ]);
  return { profile, followed, messages };
}

/** A user's own messages and those of everyone they follow, shaped (and cached). */
export function personalTimelineAs<T>(
  db: Queryable,
  user: Profile,
  page: PageRequest,
  shape: TimelineShape<T>,
): Promise<T> {
  const load = async () => shape.shape(await readPersonalTimeline(db, user.userId, page));
  return cachedRead(db, `personal:${user.userId}`, pageKey(shape, page), load, shape.fresh);
}

/** Everyone's messages. */
export function publicTimeline(db: Queryable, page: PageRequest): Promise<TimelineMessage[]> {
  return readPublicTimeline(db, page);
}

/** One user's messages, with who they are and whether `viewer` follows them. */
export async function userTimeline(
  db: Queryable,
  username: string,
  page: PageRequest,
  viewer?: Profile,
): Promise<{ profile: Profile; followed: boolean; messages: TimelineMessage[] }> {
  const profile = await profileOf(db, username);
  const [followed, messages] = await Promise.all([
    viewer ? isFollowing(db, viewer.userId, profile.userId) : false,
    readUserTimeline(db, profile.userId, page),
  ]);
  return { profile, followed, messages };
}

/** A user's own messages and those of everyone they follow. */
export function personalTimeline(
  db: Queryable,
  user: Profile,
  page: PageRequest,
): Promise<TimelineMessage[]> {
  return readPersonalTimeline(db, user.userId, page);
}

// ---- Moderation (the original's flag_tool) -------------------------------------------------------------

/** Hides messages from every timeline and API list, on every replica at once; returns the ids that exist. */
export async function flag(db: Queryable, messageIds: number[]): Promise<number[]> {
  const flagged = await flagMessages(db, messageIds); // which tells the other replicas
  readCacheOf(db)?.apply({ messagesOf: 'anyone' });
  return flagged;
}

/** Every message, flagged or not, in id order after `afterId`: the moderator's list, a page at a time. */
export function messagesForModeration(
  db: Queryable,
  afterId: number,
  limit: number,
): Promise<ModerationRow[]> {
  return listMessagesForModeration(db, afterId, limit);
}
