// Flashes: one-shot messages ("You were logged in") that a redirect carries to the next page, which shows
// and clears them. They ride in a signed cookie (a JSON list), so any replica can show them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { cookieOptions, readSignedCookie } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The messages queued for the next page, once this request has read or changed them. */
    flashes: string[] | null;
  }
}

const FLASH_COOKIE = 'flash';

function readFlashes(request: FastifyRequest): string[] {
  if (request.flashes) return request.flashes;
  try {
    const parsed: unknown = JSON.parse(readSignedCookie(request, FLASH_COOKIE)?.value ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** Queues a message for the next page shown to this browser. */
export function flash(request: FastifyRequest, reply: FastifyReply, message: string): void {
  request.flashes = [...readFlashes(request), message];
  reply.setCookie(FLASH_COOKIE, JSON.stringify(request.flashes), cookieOptions(request));
}

/**
 * Whether this browser has a flash waiting: it has just changed something, so cached pages are bypassed.
 * Only a flash cookie we signed counts: anyone can send `flash=x`, and one that bypassed the cache sent every
 * request to the database (issue 18, item 6).
 */
export const hasFlash = (request: FastifyRequest): boolean =>
  (request.flashes?.length ?? 0) > 0 || readSignedCookie(request, FLASH_COOKIE) !== undefined;

/** The queued messages, cleared so that they show once. */
export function takeFlashes(request: FastifyRequest, reply: FastifyReply): string[] {
  const messages = readFlashes(request);
  request.flashes = [];
  if (request.cookies[FLASH_COOKIE] !== undefined || messages.length > 0)
    reply.clearCookie(FLASH_COOKIE, cookieOptions(request));
  return messages;
}

/** Needs the sessions plugin's signed cookies. */
export const flashes = fp(
  async (app) => {
    app.decorateRequest('flashes', null);
  },
  { name: 'minitwit-flashes', dependencies: ['minitwit-sessions'] },
);
