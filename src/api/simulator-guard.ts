// What every simulator request goes through before its handler: its `latest` is recorded (first, even
// when the request then fails, as the reference does), then its credentials are checked.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Config } from '../config.js';
import type { Queryable } from '../db/index.js';
import { recordLatest } from '../data/simulator.js';
import { HttpError } from '../http/errors.js';
import { setLatestActionId } from '../observability/metrics.js';

export const NOT_AUTHORIZED = 'You are not authorized to use this resource!';
const INTEGER = /^-?\d{1,15}$/;

/** Records `?latest=` when present. Runs before the body is parsed, so a malformed body cannot skip it. */
export function recordLatestHook(db: Queryable): onRequestHookHandler {
  return async (request: FastifyRequest) => {
    const raw = (request.query as { latest?: unknown }).latest;
    if (raw === undefined) return;
    if (typeof raw !== 'string' || !INTEGER.test(raw)) {
      throw new HttpError(400, 'querystring/latest must be integer');
    }
    await recordLatest(db, Number(raw));
    setLatestActionId(Number(raw));
  };
}

/** Refuses (403) a request without the simulator's Basic credentials. */
export function requireSimulatorHook(simulator: Config['simulator']): onRequestHookHandler {
  const expected = Buffer.from(`${simulator.username}:${simulator.password}`);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+(\S+)$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? '', 'base64');
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    if (!ok) return reply.code(403).send({ status: 403, error_msg: NOT_AUTHORIZED });
  };
}
