// Who is signed in, and the one-shot flash messages. Both live in signed cookies, so any replica can serve
// any request and a restart signs nobody out. The session cookie holds the user id, the user's session
// version when it was issued, when it was issued and last used, and a random session id; the signature
// (HMAC-SHA256 with the session secret) is what stops a visitor from changing any of them.
// A session ends (each checked on every request, on every replica):
// - at sign-out: MiniTwit raises the user's session version in the database (every session of theirs,
//   a copied cookie included, carries an older one from then on);
// - when unused for SESSION_IDLE_TIMEOUT_SECONDS: every request that uses it pushes that back (the
//   cookie is re-issued, at most every few minutes);
// - SESSION_MAX_AGE_SECONDS after sign-in, however active.
// Secret rotation: cookies signed with SESSION_SECRET_PREVIOUS are accepted and re-signed with the new one.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { findSessionUser, type Context, type Profile } from '../minitwit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user's id, once a route has looked it up. */
    userId?: number;
  }
  interface FastifyInstance {
    sessionPolicy: SessionPolicy;
  }
}

export interface SessionPolicy {
  idleSeconds: number;
  maxAgeSeconds: number;
  /** The current secret first, then the one being rotated out. */
  secrets: string[];
}

interface Session {
  userId: number;
  version: number;
  /** Epoch seconds. */
  issuedAt: number;
  seenAt: number;
  /** Random; names this session (its CSRF token is derived from it). */
  id: string;
}

const SESSION_COOKIE = 'session';
const FLASH_COOKIE = 'flash';
const SESSION_FORMAT = /^(\d{1,15})\.(\d{1,9})\.(\d{1,12})\.(\d{1,12})\.([\w-]{22})$/;

const now = () => Math.floor(Date.now() / 1000);

/** Secure only over HTTPS (request.protocol honours X-Forwarded-Proto from a trusted proxy). */
const cookieOptions = (request: FastifyRequest): CookieSerializeOptions => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax',
  secure: request.protocol === 'https',
  signed: true,
});

/** A signed cookie's value and whether it was signed with the previous secret; undefined when invalid. */
function readSignedCookie(request: FastifyRequest, name: string) {
  const raw = request.cookies[name];
  if (!raw) return undefined;
  const { valid, value, renew } = request.unsignCookie(raw);
  return valid && value !== null ? { value, renew } : undefined;
}

function parseSession(value: string): Session | undefined {
  const match = SESSION_FORMAT.exec(value);
  if (!match) return undefined;
  const [, userId, version, issuedAt, seenAt, id] = match;
  return {
    userId: Number(userId),
    version: Number(version),
    issuedAt: Number(issuedAt),
    seenAt: Number(seenAt),
    id: id!,
  };
}

const formatSession = (s: Session) => `${s.userId}.${s.version}.${s.issuedAt}.${s.seenAt}.${s.id}`;

/** The request's session cookie, checked for its signature and its age (not yet against the database). */
interface SessionRead {
  session: Session | undefined;
  /** Signed with the previous secret: to be re-signed. */
  renew: boolean;
  /** A session cookie was sent that is no longer any good: to be cleared. */
  stale: boolean;
}

const reads = new WeakMap<FastifyRequest, SessionRead>();

function readSession(request: FastifyRequest): SessionRead {
  const cached = reads.get(request);
  if (cached) return cached;
  const cookie = readSignedCookie(request, SESSION_COOKIE);
  const session = cookie && parseSession(cookie.value);
  const policy = request.server.sessionPolicy;
  const t = now();
  const alive =
    session !== undefined &&
    t - session.issuedAt < policy.maxAgeSeconds &&
    t - session.seenAt < policy.idleSeconds &&
    session.issuedAt <= t + 60;
  const read: SessionRead = {
    session: alive ? session : undefined,
    renew: Boolean(alive && cookie?.renew),
    stale: request.cookies[SESSION_COOKIE] !== undefined && !alive,
  };
  reads.set(request, read);
  return read;
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session): void {
  const { idleSeconds, maxAgeSeconds } = request.server.sessionPolicy;
  const left = Math.min(idleSeconds, maxAgeSeconds - (session.seenAt - session.issuedAt));
  reply.setCookie(SESSION_COOKIE, formatSession(session), { ...cookieOptions(request), maxAge: left });
}

const started = new WeakSet<FastifyRequest>();
const ended = new WeakSet<FastifyRequest>();

/** Signs `user` in: a new session under their current session version. */
export function startSession(
  request: FastifyRequest,
  reply: FastifyReply,
  user: { userId: number; sessionVersion: number },
): void {
  const t = now();
  const id = randomBytes(16).toString('base64url');
  setSessionCookie(request, reply, {
    userId: user.userId,
    version: user.sessionVersion,
    issuedAt: t,
    seenAt: t,
    id,
  });
  started.add(request);
}

/** Forgets the session in this browser (MiniTwit's signOut ends it everywhere). */
export function endSession(request: FastifyRequest, reply: FastifyReply): void {
  ended.add(request);
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
}

const signedIn = new WeakMap<FastifyRequest, Promise<Profile | undefined>>();
const resolved = new WeakMap<FastifyRequest, Profile>();

/** The signed-in user (looked up once per request), or undefined: no session, an ended one, a deleted user. */
export function currentUser(ctx: Context, request: FastifyRequest): Promise<Profile | undefined> {
  let user = signedIn.get(request);
  if (!user) {
    user = lookUpUser(ctx, request);
    signedIn.set(request, user);
  }
  return user;
}

async function lookUpUser(ctx: Context, request: FastifyRequest): Promise<Profile | undefined> {
  const read = readSession(request);
  if (!read.session) return undefined;
  const found = await findSessionUser(ctx, read.session.userId);
  if (!found || found.sessionVersion !== read.session.version) {
    read.stale = true;
    return undefined;
  }
  request.userId = found.profile.userId; // for the access log line (src/observability/request-log.ts)
  resolved.set(request, found.profile);
  return found.profile;
}

/** How often a session in use is re-issued to push its idle end back: a tenth of the timeout, at most 5 min. */
const refreshAfter = (idleSeconds: number) => Math.min(300, Math.ceil(idleSeconds / 10));

/**
 * After each web reply: a signed-in page is never stored by a cache (Cache-Control: no-store); a session in
 * use is re-issued when due (idle timeout) or signed with the previous secret; a dead one is cleared.
 */
export function sessionOnSend(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    const user = resolved.get(request);
    if (user || started.has(request)) reply.header('cache-control', 'no-store');
    if (ended.has(request) || started.has(request)) return;
    const read = reads.get(request);
    if (!read) return;
    if (read.stale) {
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      return;
    }
    const session = read.session;
    if (!user || !session) return;
    const t = now();
    if (read.renew || t - session.seenAt >= refreshAfter(request.server.sessionPolicy.idleSeconds))
      setSessionCookie(request, reply, { ...session, seenAt: t });
  });
}

/** The secrets session cookies are signed with, newest first (resolveSessionSecret gives the current one). */
export function sessionPolicy(config: Config, currentSecret: string): SessionPolicy {
  return {
    idleSeconds: config.sessionIdleTimeoutSeconds,
    maxAgeSeconds: config.sessionMaxAgeSeconds,
    secrets: [currentSecret, ...(config.sessionSecretPrevious ? [config.sessionSecretPrevious] : [])],
  };
}

// ---- CSRF tokens -------------------------------------------------------------------------------------
// A session's token is an HMAC of its id with the session secret: another site cannot read it from our
// pages nor compute it, it changes with every sign-in, and checking it needs no storage.

const tokenOf = (session: Session, secret: string) =>
  createHmac('sha256', secret).update(`csrf:${session.userId}:${session.id}`).digest('base64url');

/** The token this session's links and forms carry, or undefined when no one is signed in. */
export function csrfToken(request: FastifyRequest): string | undefined {
  const { session } = readSession(request);
  return session && tokenOf(session, request.server.sessionPolicy.secrets[0]!);
}

/** Whether the request's session cookie names a session (signed, not expired; not yet checked against the database). */
export function hasSession(request: FastifyRequest): boolean {
  return readSession(request).session !== undefined;
}

/** Whether `token` is that session's CSRF token (signed with the current or the previous secret). */
export function isSessionToken(request: FastifyRequest, token: unknown): boolean {
  const { session } = readSession(request);
  if (!session || typeof token !== 'string') return false;
  const given = Buffer.from(token);
  return request.server.sessionPolicy.secrets.some((secret) => {
    const expected = Buffer.from(tokenOf(session, secret));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

// ---- Flashes: a signed JSON list that a redirect carries to the next page, which shows and clears it. --
const pending = new WeakMap<FastifyRequest, string[]>();

function readFlashes(request: FastifyRequest): string[] {
  const saved = pending.get(request);
  if (saved) return saved;
  try {
    const parsed: unknown = JSON.parse(readSignedCookie(request, FLASH_COOKIE)?.value ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** Queues a message for the next page shown to this browser. */
export function flash(request: FastifyRequest, reply: FastifyReply, message: string): void {
  const messages = [...readFlashes(request), message];
  pending.set(request, messages);
  reply.setCookie(FLASH_COOKIE, JSON.stringify(messages), cookieOptions(request));
}

/** Whether this browser has a flash waiting: it has just changed something (cached pages are bypassed). */
export const hasFlash = (request: FastifyRequest): boolean =>
  request.cookies[FLASH_COOKIE] !== undefined || (pending.get(request)?.length ?? 0) > 0;

/** The queued messages, cleared so that they show once. */
export function takeFlashes(request: FastifyRequest, reply: FastifyReply): string[] {
  const messages = readFlashes(request);
  pending.set(request, []);
  if (request.cookies[FLASH_COOKIE] !== undefined || messages.length > 0)
    reply.clearCookie(FLASH_COOKIE, cookieOptions(request));
  return messages;
}
