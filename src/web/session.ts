// Who is signed in, and the one-shot flash messages. Both live in signed cookies and nowhere else, so any
// replica can serve any request and a restart signs nobody out. The session cookie holds only the user id;
// the signature (HMAC-SHA256 with the session secret) is what stops a visitor from choosing another id.
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/index.js';
import { findProfile, type Profile } from '../minitwit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user's id, once a route has looked it up. */
    userId?: number;
  }
}

const SESSION_COOKIE = 'session';
const FLASH_COOKIE = 'flash';

/** Secure only over HTTPS (request.protocol honours X-Forwarded-Proto when TRUST_PROXY is on). */
const cookieOptions = (request: FastifyRequest): CookieSerializeOptions => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax',
  secure: request.protocol === 'https',
  signed: true,
});

/** A signed cookie's value, or undefined when it is missing or its signature does not match. */
function readSignedCookie(request: FastifyRequest, name: string): string | undefined {
  const raw = request.cookies[name];
  if (!raw) return undefined;
  const { valid, value } = request.unsignCookie(raw);
  return valid && value !== null ? value : undefined;
}

export function startSession(request: FastifyRequest, reply: FastifyReply, userId: number): void {
  reply.setCookie(SESSION_COOKIE, String(userId), cookieOptions(request));
}

export function endSession(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
}

const signedIn = new WeakMap<FastifyRequest, Promise<Profile | undefined>>();

/** The signed-in user (looked up once per request), or undefined; a deleted user counts as signed out. */
export function currentUser(db: Queryable, request: FastifyRequest): Promise<Profile | undefined> {
  let user = signedIn.get(request);
  if (!user) {
    user = lookUpUser(db, request);
    signedIn.set(request, user);
  }
  return user;
}

async function lookUpUser(db: Queryable, request: FastifyRequest): Promise<Profile | undefined> {
  const id = readSignedCookie(request, SESSION_COOKIE);
  if (!id || !/^\d{1,15}$/.test(id)) return undefined;
  const user = await findProfile(db, Number(id));
  if (user) request.userId = user.userId; // for the access log line (src/observability/request-log.ts)
  return user;
}

// Flashes: a signed JSON list that a redirect carries to the next page, which shows and clears it.
const pending = new WeakMap<FastifyRequest, string[]>();

function readFlashes(request: FastifyRequest): string[] {
  const saved = pending.get(request);
  if (saved) return saved;
  try {
    const parsed: unknown = JSON.parse(readSignedCookie(request, FLASH_COOKIE) ?? '[]');
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

/** The queued messages, cleared so that they show once. */
export function takeFlashes(request: FastifyRequest, reply: FastifyReply): string[] {
  const messages = readFlashes(request);
  pending.set(request, []);
  if (request.cookies[FLASH_COOKIE] !== undefined || messages.length > 0)
    reply.clearCookie(FLASH_COOKIE, cookieOptions(request));
  return messages;
}
