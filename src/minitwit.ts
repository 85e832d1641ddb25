// What MiniTwit does: its actions and their rules, read top to bottom as the original minitwit.py.
// The web pages and the simulator API are two doors onto these functions: they parse a request, call one
// of them with their Context and shape the reply (reads come back as rows; the doors cache and render
// them). Each action that changes something drops what it made stale from the read cache and counts its
// own business event, once the change is stored. The SQL is in src/data, one module per table group.
import type { Database, Queryable } from './db/index.js';
import type { ReadCache } from './caching/read-cache.js';
import {
  changeFollow,
  followCounts as readFollowCounts,
  isFollowing as readIsFollowing,
  listFollowedNames,
  type FollowChangeKind,
} from './data/follows.js';
import {
  flagMessages,
  insertMessageAs,
  listMessagesForModeration,
  messageAtCursor,
  personalTimeline as readPersonalTimeline,
  publicTimeline as readPublicTimeline,
  userTimeline as readUserTimeline,
  type ModerationRow,
  type PageRequest,
  type TimelineMessage,
} from './data/messages.js';
import {
  findNameLookingLike,
  findUserById,
  findUserByName,
  findUserIdByName,
  findUserIdsByNames,
  insertUserUnlessLookingLike,
  type UserKey,
  raiseSessionVersion,
  namesSharingSkeleton,
  setSkeletons,
  updatePasswordHash,
  usersWithoutSkeleton,
} from './data/users.js';
import type { Attempt } from './abuse-limits.js';
import { hashPassword, needsRehash, verifyNoUser, verifyPassword } from './passwords.js';
import { countBusinessEvent, type Source } from './observability/metrics.js';
import { nameSkeletons, normaliseUsername, scriptProblem, usernameProblem } from './usernames.js';

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

/** A form field a rule is about: where a page shows its error. */
export type Field = 'username' | 'email' | 'password' | 'password2' | 'text';

/**
 * A request broke one of MiniTwit's rules; the message, in the original's words, says which (a 400), and
 * `field`, when the rule is about one, which input a form shows it beside.
 */
export class RuleError extends Error {
  override name = 'RuleError';
  readonly statusCode: number = 400;
  constructor(
    message: string,
    readonly field?: Field,
  ) {
    super(message);
  }
}

/** One broken rule as a form shows it: beside its field. */
export interface FieldError {
  field: Field;
  message: string;
}

/**
 * What every action works with: the database, the process's read cache (a script has none: its writes
 * reach the replicas' caches through the database) and which door asked (for the business metrics).
 */
export interface Context {
  db: Database;
  cache?: ReadCache | undefined;
  source: Source;
}

/** Who acts: the web knows the signed-in user's id, the simulator API names the user in the path. */
export type UserRef = { userId: number } | { username: string };

/** A user as the pages show them: never the password hash. */
export interface Profile {
  userId: number;
  username: string;
}

async function userIdOf(ctx: Context, user: UserRef): Promise<number> {
  if ('userId' in user) return user.userId;
  return (await profileOf(ctx, user.username)).userId;
}

/** A user by name; a name never changes its id, so a found one is kept in the process (never a miss). */
export async function profileOf({ db, cache }: Context, username: string): Promise<Profile> {
  const known = cache?.users;
  const cached = known?.get(username);
  if (cached) return cached;
  const user = await findUserByName(db, username);
  if (!user) throw new UnknownUserError(username);
  const profile = { userId: user.userId, username: user.username };
  known?.set(username, profile);
  return profile;
}

/** The user as a write names it: by id when known here, else by name (resolved in the write itself). */
function userKeyOf(ctx: Context, user: UserRef): UserKey {
  if ('userId' in user) return user;
  const cached = ctx.cache?.users.get(user.username);
  return cached ? { userId: cached.userId } : user;
}

/**
 * The user a session names and the session version their sessions must carry (signOut raises it), or
 * undefined when the account is gone (a signed-in user whose account is gone counts as signed out).
 */
export async function findSessionUser(
  { db }: Context,
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

/** The original's checks, in the original's order, with its words: every one broken, each with its field. */
function registrationErrors(input: Registration): FieldError[] {
  const errors: FieldError[] = [];
  if (!input.username) errors.push({ field: 'username', message: 'You have to enter a username' });
  if (!input.email?.includes('@'))
    errors.push({ field: 'email', message: 'You have to enter a valid email address' });
  if (!input.password) errors.push({ field: 'password', message: 'You have to enter a password' });
  else if (input.password2 !== undefined && input.password !== input.password2)
    errors.push({ field: 'password2', message: 'The two passwords do not match' });
  return errors;
}

/**
 * What a sign-up form can be told at once, before anything is looked up: every broken rule of the
 * original, and what is wrong with the name itself. register() checks them again, and says the first.
 */
export function registrationProblems(input: Registration): FieldError[] {
  const errors = registrationErrors(input);
  if (input.username) {
    const username = normaliseUsername(input.username);
    const problem = usernameProblem(username) ?? scriptProblem(username);
    if (problem) errors.unshift({ field: 'username', message: problem });
  }
  return errors;
}

/**
 * Registers a user; returns the new id. Beyond the original's checks, the name must be one a person can
 * be told apart by (src/usernames.ts): not a route's, nothing invisible, not a look-alike of an existing
 * user's. With an `attempt`, the account counts against the abuse limits (the trusted simulator has none).
 */
export async function register(ctx: Context, input: Registration, attempt?: Attempt): Promise<number> {
  const { db } = ctx;
  const [error] = registrationErrors(input);
  if (error) throw new RuleError(error.message, error.field);
  const { email, password } = input as { [K in keyof Registration]-?: string };
  const username = normaliseUsername(input.username!);
  const problem = usernameProblem(username);
  if (problem) throw new RuleError(problem, 'username');
  const taken = new RuleError('The username is already taken', 'username');
  const looksLike = (lookalike: string) =>
    new RuleError(
      `The username looks like that of the existing user ${JSON.stringify(lookalike)}`,
      'username',
    );
  // Checked before hashing, so a taken name or a look-alike costs an index lookup rather than a KDF run;
  // and again, under a lock, as the user is inserted (two look-alikes may both get past this one).
  if ((await findUserIdByName(db, username)) !== undefined) throw taken;
  const skeletons = nameSkeletons(username);
  const lookalike = await findNameLookingLike(db, skeletons);
  if (lookalike !== undefined) throw looksLike(lookalike);
  const mixed = scriptProblem(username);
  if (mixed) throw new RuleError(mixed, 'username');
  await attempt?.limits.signUp(attempt.client, email);
  const pwHash = await hashPassword(password);
  const inserted = await insertUserUnlessLookingLike(db, { username, email, pwHash, skeletons });
  if ('taken' in inserted) throw taken;
  if ('lookalike' in inserted) throw looksLike(inserted.lookalike);
  const { userId } = inserted;
  countBusinessEvent('user_registered', ctx.source);
  return userId;
}

/**
 * Checks credentials; an old (Werkzeug or weaker) hash is replaced by a current one on success. With an
 * `attempt`, the try is counted against the abuse limits before the password is checked, so a client or
 * account over them is refused without a hash, however many tries arrive at once; a success is not held
 * against them. A name without a user costs the same hash as one with, so the time taken does not tell
 * which names exist (the words do, as the original's do, and the course's tests read them).
 */
export async function signIn(
  { db }: Context,
  username: string,
  password: string,
  attempt?: Attempt,
): Promise<Profile & { sessionVersion: number }> {
  await attempt?.limits.signInAttempt(attempt.client, username);
  const user = await findUserByName(db, username);
  const matches = user ? await verifyPassword(password, user.pwHash) : await verifyNoUser(password);
  if (!user) throw new RuleError('Invalid username', 'username');
  if (!matches) throw new RuleError('Invalid password', 'password');
  await attempt?.limits.signInSucceeded(attempt.client, username);
  if (needsRehash(user.pwHash)) await updatePasswordHash(db, user.userId, await hashPassword(password));
  return { userId: user.userId, username: user.username, sessionVersion: user.sessionVersion };
}

/** Ends every session of the user, on every device and replica (a copied cookie too). */
export async function signOut({ db }: Context, userId: number): Promise<void> {
  await raiseSessionVersion(db, userId);
}

/** What backfillNameSkeletons did: how many skeletons it computed, and which existing names look alike. */
export interface SkeletonBackfill {
  computed: number;
  /** Groups of existing names that share a skeleton, each oldest first; found only when some were computed. */
  lookalikes: string[][];
}

/**
 * Users who registered before names had skeletons, or before the way they are computed changed (a
 * migration clears them), get theirs (at start, after the migrations), so that a new name is compared
 * with every existing one. Then the existing names that now look alike are reported, not renamed: each
 * user keeps the name they signed up with.
 */
export async function backfillNameSkeletons(db: Queryable): Promise<SkeletonBackfill> {
  let computed = 0;
  for (;;) {
    const users = await usersWithoutSkeleton(db, 1000);
    if (users.length === 0) break;
    await setSkeletons(
      db,
      users.map((u) => ({ userId: u.userId, skeletons: nameSkeletons(u.username) })),
    );
    computed += users.length;
  }
  return { computed, lookalikes: computed > 0 ? await namesSharingSkeleton(db) : [] };
}

// ---- Messages ------------------------------------------------------------------------------------------

/**
 * Stores a message as posted now by `author`. A message needs text. One statement (one round trip, one
 * commit) resolves the author, stores the message and records the simulator's `latest` action id, if
 * given (recorded whenever the statement runs, an unknown author too).
 */
export async function postMessage(
  ctx: Context,
  author: UserRef,
  text: string,
  latest?: number,
): Promise<void> {
  if (text.length === 0) {
    await userIdOf(ctx, author); // an unknown author is a 404 before an empty text is a 400
    throw new RuleError('A message needs text', 'text');
  }
  const posted = await insertMessageAs(ctx.db, userKeyOf(ctx, author), text, latest);
  if (!posted) throw new UnknownUserError((author as { username: string }).username);
  ctx.cache?.changed({ messagesOf: posted.authorId });
  countBusinessEvent('message_posted', ctx.source);
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
  ctx: Context,
  who: UserRef,
  whom: string,
  followLimit: number,
  latest?: number,
): Promise<Profile> {
  return changeFollowOf(ctx, { change: 'follow', limit: followLimit }, who, whom, latest);
}

/** `who` stops following `whom`; unfollowing someone not followed changes nothing. Returns whom's profile. */
export function unfollow(ctx: Context, who: UserRef, whom: string, latest?: number): Promise<Profile> {
  return changeFollowOf(ctx, { change: 'unfollow' }, who, whom, latest);
}

/** One statement (one round trip, one commit): both users resolved, the follow changed, `latest` recorded. */
async function changeFollowOf(
  ctx: Context,
  change: FollowChangeKind,
  who: UserRef,
  whom: string,
  latest?: number,
): Promise<Profile> {
  const result = await changeFollow(ctx.db, change, userKeyOf(ctx, who), whom, latest);
  if (result.whoId === undefined) throw new UnknownUserError((who as { username: string }).username);
  if (!result.whom) throw new UnknownUserError(whom);
  // At the limit, following someone already followed still changes nothing, without an error.
  if (result.atLimit && change.change === 'follow') throw new FollowLimitError(change.limit);
  if (result.changed) {
    ctx.cache?.changed({ followsOf: result.whoId });
    countBusinessEvent(change.change === 'follow' ? 'followed' : 'unfollowed', ctx.source);
  }
  return result.whom;
}

/** The names of the users `who` follows, in the order they were followed, at most `limit`. */
export function followedNames({ db }: Context, who: Profile, limit: number): Promise<string[]> {
  return listFollowedNames(db, who.userId, limit);
}

/** How many follow `user`, and how many `user` follows. */
export function followCounts(
  { db }: Context,
  user: Profile,
): Promise<{ followers: number; following: number }> {
  return readFollowCounts(db, user.userId);
}

/** Which of `names` are users' names (as a mention names them: as written, or composed). */
export async function existingUsernames({ db }: Context, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  return new Set((await findUserIdsByNames(db, names)).keys());
}

/** Whether `who` follows `whom`. */
export function isFollowing({ db }: Context, who: Profile, whom: Profile): Promise<boolean> {
  return readIsFollowing(db, who.userId, whom.userId);
}

// ---- The three timelines -------------------------------------------------------------------------------
// Unflagged messages, newest first, a page at a time (keyset pages: see PageRequest). The doors keep what
// they make of a page in the read cache (src/caching/read-cache.ts), under the scope a change drops.

// A page that starts `before` a cursor is read only if the cursor names a real message: made-up cursors are
// refused before any timeline is read, so they cost one primary-key probe and add nothing to the read cache
// (a cache entry per distinct cursor pushed the useful pages out: issue 18, item 6).

/** The cursor names no message: it was not made by us (a 400 at either door). */
class UnknownCursorError extends RuleError {
  constructor() {
    super('The link to older messages points at no message: go back to the first page.');
  }
}

async function checkCursor(db: Queryable, page: PageRequest): Promise<void> {
  if (page.before && !(await messageAtCursor(db, page.before))) throw new UnknownCursorError();
}

/** Everyone's messages. */
export async function publicTimeline({ db }: Context, page: PageRequest): Promise<TimelineMessage[]> {
  await checkCursor(db, page);
  return readPublicTimeline(db, page);
}

/** One user's messages. */
export async function userTimeline(
  { db }: Context,
  author: Profile,
  page: PageRequest,
): Promise<TimelineMessage[]> {
  await checkCursor(db, page);
  return readUserTimeline(db, author.userId, page);
}

/** A user's own messages and those of everyone they follow. */
export async function personalTimeline(
  { db }: Context,
  user: Profile,
  page: PageRequest,
): Promise<TimelineMessage[]> {
  await checkCursor(db, page);
  return readPersonalTimeline(db, user.userId, page);
}

// ---- Moderation (the original's flag_tool) -------------------------------------------------------------

/** Hides messages from every timeline and API list, on every replica at once; returns the ids that exist. */
export async function flag(
  { db, cache }: Pick<Context, 'db' | 'cache'>,
  messageIds: number[],
): Promise<number[]> {
  const flagged = await flagMessages(db, messageIds); // which tells the other replicas
  cache?.apply({ messagesOf: 'anyone' });
  return flagged;
}

/** Every message, flagged or not, in id order after `afterId`: the moderator's list, a page at a time. */
export function messagesForModeration(
  { db }: Pick<Context, 'db'>,
  afterId: number,
  limit: number,
): Promise<ModerationRow[]> {
  return listMessagesForModeration(db, afterId, limit);
}
