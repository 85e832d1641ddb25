// What every simulator request goes through before its handler: its credentials are checked, then its
// `?latest=` is recorded (before the request's own work, so even when that then fails, as the reference
// does). Only a request with the simulator's credentials records `latest`: anyone else could otherwise
// set what the simulator reads back (the reference records it for anyone). The simulator sends its
// credentials with every request, POST /register included. One hook for every route of the simulator
// API; a route says in its config when it differs (GET /latest records nothing, POST /register needs no
// credentials).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Queryable } from '../db/index.js';
import { recordLatest, type PendingLatest } from '../data/simulator.js';
import { HttpError } from '../http/errors.js';
import { setLatestActionId } from '../observability/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Sent the simulator's credentials: the API's trusted client (not subject to the abuse limits). */
    fromSimulator?: boolean;
    /** The simulator's `?latest=`, when this request records it (see recordsLatest). */
    latest?: PendingLatest;
  }
  interface FastifyContextConfig {
    /**
     * How the simulator guard treats this route; the first two default to true. `latestWithWrite`: the
     * route's write records `latest` in its own statement (one round trip, one commit); the guard
     * records it before the reply only when that did not happen (a malformed body, an error).
     */
    simulator?: { recordsLatest?: boolean; needsCredentials?: boolean; latestWithWrite?: boolean };
  }
}

const NOT_AUTHORIZED = 'You are not authorized to use this resource!';
const INTEGER = /^-?\d{1,15}$/;

export interface SimulatorGuardOptions {
  db: Queryable;
  credentials: Config['simulator'];
}

/** Added to the scope that registers it (fastify-plugin): the simulator routes' scope, not the whole app. */
export const simulatorGuard = fp<SimulatorGuardOptions>(
  async (app, { db, credentials }) => {
    const expected = Buffer.from(`${credentials.username}:${credentials.password}`);
    const hasCredentials = (request: FastifyRequest) => {
      const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      const given = Buffer.from(match?.[1] ?? '', 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    };

    // onRequest: before the body is parsed, so a malformed body cannot skip recording `latest`.
    app.addHook('onRequest', async (request) => {
      const rules = request.routeOptions.config.simulator ?? {};
      request.fromSimulator = hasCredentials(request);
      if (rules.needsCredentials !== false && !request.fromSimulator)
        throw new HttpError(403, NOT_AUTHORIZED);
      if (rules.recordsLatest === false || !request.fromSimulator) return;
      request.latest = latestOf(request);
      if (!rules.latestWithWrite) await recordPending(request, db);
    });
    // onSend: still before the reply leaves, so the simulator's next GET /latest sees it.
    app.addHook('onSend', async (request) => {
      await recordPending(request, db);
    });
  },
  { name: 'minitwit-simulator-guard' },
);

function latestOf(request: FastifyRequest): PendingLatest | undefined {
  const raw = (request.query as { latest?: unknown }).latest;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !INTEGER.test(raw))
    throw new HttpError(400, 'querystring/latest must be integer');
  return { actionId: Number(raw), recorded: false };
}

async function recordPending(request: FastifyRequest, db: Queryable): Promise<void> {
  const latest = request.latest;
  if (!latest) return;
  if (!latest.recorded) await recordLatest(db, latest.actionId);
  latest.recorded = true;
  request.latest = undefined;
  setLatestActionId(latest.actionId);
}
