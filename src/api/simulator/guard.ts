// Who may use the simulator API: a request must carry the simulator's credentials (HTTP Basic), except
// where a route says otherwise (POST /register, GET /latest). The simulator sends them with every request,
// and only its requests record `latest` (latest.ts): anyone else could otherwise set what the simulator
// reads back (the reference records it for anyone).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../../http/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Sent the simulator's credentials: the API's trusted client (not subject to the abuse limits). */
    fromSimulator: boolean;
  }
  interface FastifyContextConfig {
    /** Whether a request to this route must carry the simulator's credentials (by default it must). */
    needsCredentials?: boolean;
  }
}

const NOT_AUTHORIZED = 'You are not authorized to use this resource!';

/** Added to the scope that registers it (fastify-plugin): the simulator routes' scope, not the whole app. */
export const simulatorGuard = fp<{ credentials: { username: string; password: string } }>(
  async (app, { credentials }) => {
    const expected = Buffer.from(`${credentials.username}:${credentials.password}`);
    const hasCredentials = (request: FastifyRequest) => {
      const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      const given = Buffer.from(match?.[1] ?? '', 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    };

    app.decorateRequest('fromSimulator', false);
    // onRequest: before the body is parsed, so a malformed body cannot skip recording `latest`.
    app.addHook('onRequest', async (request) => {
      request.fromSimulator = hasCredentials(request);
      if (request.routeOptions.config.needsCredentials !== false && !request.fromSimulator)
        throw new HttpError(403, NOT_AUTHORIZED);
    });
  },
  { name: 'minitwit-simulator-guard' },
);
