// Who is signed in. The session lives in a signed cookie, so any replica can serve any request and a
// restart signs nobody out. The cookie holds the user id, the user's session version when it was issued,
// when it was issued and last used, and a random session id; the signature (HMAC-SHA256 with the session
// secret) is what stops a visitor from changing any of them.
// A session ends (each checked on every request, on every replica):
// - at sign-out: MiniTwit raises the user's session version in the database (every session of theirs,
//   a copied cookie included, carries an older one from then on);
// - when unused for SESSION_IDLE_TIMEOUT_SECONDS: every request that uses it pushes that back (the
//   cookie is re-issued, at most every few minutes);
// - SESSION_MAX_AGE_SECONDS after sign-in, however active.
// Secret rotation: cookies signed with SESSION_SECRET_PREVIOUS are accepted and re-signed with the new one.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cookie, { type CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { findSessionUser, type Context, type Profile } from '../minitwit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user (looked up once per request), or undefined: no session, an ended one, a deleted user. */
    currentUser(): Promise<Profile | undefined>;
    /** The signed-in user, once currentUser has found them (the access log's user.id; error pages). */
    user: Profile | undefined;
    /** This request's session cookie as read (sessionOf) and what the request did to it. */
    sessionState: SessionState | null;
    userLookup: Promise<Profile | undefined> | null;
  }
  interface FastifyInstance {
    sessionPolicy: SessionPolicy;
  }
}

interface SessionPolicy {
  idleSeconds: number;
  maxAgeSeconds: number;
  /** The current secret first, then the one being rotated out. */
  secrets: string[];
}

export interface Session {
  userId: number;
  version: number;
  /** Epoch seconds. */
  issuedAt: number;
  seenAt: number;
  /** Random; names this session (its CSRF token is derived from it). */
  id: string;
}

/** The request's session cookie, checked for its signature and its age (not yet against the database). */
interface SessionState {
  session: Session | undefined;
  /** Signed with the previous secret: to be re-signed. */
  renew: boolean;
  /** A session cookie was sent that is no longer any good: to be cleared. */
  stale: boolean;
  /**
   * The cookie was a real session of ours that has ended (timed out, or its user signed out elsewhere):
   * the person may sign in again and come back. Not a forged or unreadable cookie, nor a deleted user.
   */
  ended: boolean;
  /** Signed in or out by this request: its cookie is set already. */
  changed?: 'started' | 'ended';
}

const SESSION_COOKIE = 'session';
const SESSION_FORMAT = /^(\d{1,15})\.(\d{1,9})\.(\d{1,12})\.(\d{1,12})\.([\w-]{22})$/;

const now = () => Math.floor(Date.now() / 1000);

/** Secure only over HTTPS (request.protocol honours X-Forwarded-Proto from a trusted proxy). */
export const cookieOptions = (request: FastifyRequest): CookieSerializeOptions => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax',
  secure: request.protocol === 'https',
  signed: true,
});

/** A signed cookie's value and whether it was signed with the previous secret; undefined when invalid. */
export function readSignedCookie(request: FastifyRequest, name: string) {
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

/** The request's session (signed, not expired; not yet checked against the database), read once. */
export function sessionOf(request: FastifyRequest): SessionState {
  if (request.sessionState) return request.sessionState;
  const cookie = readSignedCookie(request, SESSION_COOKIE);
  const session = cookie && parseSession(cookie.value);
  const policy = request.server.sessionPolicy;
  const t = now();
  const alive =
    session !== undefined &&
    t - session.issuedAt < policy.maxAgeSeconds &&
    t - session.seenAt < policy.idleSeconds &&
    session.issuedAt <= t + 60;
  request.sessionState = {
    session: alive ? session : undefined,
    renew: Boolean(alive && cookie?.renew),
    stale: request.cookies[SESSION_COOKIE] !== undefined && !alive,
    ended: session !== undefined && !alive,
  };
  return request.sessionState;
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session): void {
  const { idleSeconds, maxAgeSeconds } = request.server.sessionPolicy;
  const left = Math.min(idleSeconds, maxAgeSeconds - (session.seenAt - session.issuedAt));
  reply.setCookie(SESSION_COOKIE, formatSession(session), { ...cookieOptions(request), maxAge: left });
}

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
  sessionOf(request).changed = 'started';
}

/** Forgets the session in this browser (MiniTwit's signOut ends it everywhere). */
export function endSession(request: FastifyRequest, reply: FastifyReply): void {
  sessionOf(request).changed = 'ended';
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
}

/** How often a session in use is re-issued to push its idle end back: a tenth of the timeout, at most 5 min. */
const refreshAfter = (idleSeconds: number) => Math.min(300, Math.ceil(idleSeconds / 10));

/**
 * The secret that signs session cookies: SESSION_SECRET when set. Embedded mode (one process, no
 * DATABASE_URL; loadConfig has refused the other cases) may go without: a random secret is made once and
 * kept in DATA_DIR, so sessions survive restarts.
 */
export function sessionSecret(config: Pick<Config, 'sessionSecret' | 'dataDir'>): string {
  if (config.sessionSecret) return config.sessionSecret;
  const file = join(config.dataDir, 'session-secret');
  const stored = readSecretFile(file);
  if (stored) return stored;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function readSecretFile(file: string): string | undefined {
  try {
    const secret = readFileSync(file, 'utf8').trim();
    return secret.length >= 32 ? secret : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface SessionsOptions {
  ctx: Context;
  config: Config;
}

/** The session cookie on every request of the app that registers it (fastify-plugin). */
export const sessions = fp<SessionsOptions>(
  async (app, { ctx, config }) => {
    const secrets = [
      sessionSecret(config),
      ...(config.sessionSecretPrevious ? [config.sessionSecretPrevious] : []),
    ];
    app.decorate('sessionPolicy', {
      idleSeconds: config.sessionIdleTimeoutSeconds,
      maxAgeSeconds: config.sessionMaxAgeSeconds,
      secrets,
    });
    // Signed with the first secret; a cookie signed with SESSION_SECRET_PREVIOUS is still accepted.
    await app.register(cookie, { secret: secrets });

    async function lookUpUser(request: FastifyRequest): Promise<Profile | undefined> {
      const state = sessionOf(request);
      if (!state.session) return undefined;
      const found = await findSessionUser(ctx, state.session.userId);
      if (!found || found.sessionVersion !== state.session.version) {
        state.stale = true;
        state.ended = found !== undefined;
        return undefined;
      }
      request.user = found.profile;
      return found.profile;
    }

    app.decorateRequest('user', undefined);
    app.decorateRequest('sessionState', null);
    app.decorateRequest('userLookup', null);
    app.decorateRequest('currentUser', function (this: FastifyRequest) {
      return (this.userLookup ??= lookUpUser(this));
    });

    // After each reply: a signed-in page is never stored by a cache (Cache-Control: no-store); a session in
    // use is re-issued when due (idle timeout) or signed with the previous secret; a dead one is cleared.
    app.addHook('onSend', async (request, reply) => {
      const state = request.sessionState;
      if (request.user || state?.changed === 'started') reply.header('cache-control', 'no-store');
      if (!state || state.changed) return;
      if (state.stale) {
        reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
        return;
      }
      const session = state.session;
      if (!request.user || !session) return;
      const t = now();
      if (state.renew || t - session.seenAt >= refreshAfter(app.sessionPolicy.idleSeconds))
        setSessionCookie(request, reply, { ...session, seenAt: t });
    });
  },
  { name: 'minitwit-sessions' },
);
