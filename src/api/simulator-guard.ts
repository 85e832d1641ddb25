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
import { recordLatest } from '../data/simulator.js';
import { HttpError } from '../http/errors.js';
import { setLatestActionId } from '../observability/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Sent the simulator's credentials: the API's trusted client (not subject to the abuse limits). */
    fromSimulator?: boolean;
  }
  interface FastifyContextConfig {
    /** How the simulator guard treats this route; both default to true. */
    simulator?: { recordsLatest?: boolean; needsCredentials?: boolean };
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
      if (rules.recordsLatest !== false && request.fromSimulator) await recordLatestOf(request, db);
    });
  },
  { name: 'minitwit-simulator-guard' },
);

async function recordLatestOf(request: FastifyRequest, db: Queryable): Promise<void> {
  const raw = (request.query as { latest?: unknown }).latest;
  if (raw === undefined) return;
  if (typeof raw !== 'string' || !INTEGER.test(raw))
    throw new HttpError(400, 'querystring/latest must be integer');
  await recordLatest(db, Number(raw));
  setLatestActionId(Number(raw));
}
