// The simulator's `latest`: the id of its latest action, sent as `?latest=` with its requests and read back
// from GET /latest. Its whole life is here. A request from the simulator records it before the request's
// own work, so that it is recorded even when that work then fails, as the reference does; a write records
// it in its own statement instead (one round trip, one commit: see withLatest), and what was not recorded
// by the time the reply is sent is recorded then, so that the simulator's next GET /latest sees it.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { pruneLatest, readLatest, recordLatest } from '../../data/simulator.js';
import type { Queryable } from '../../db/index.js';
import { HttpError } from '../../http/errors.js';
import { setLatestActionId } from '../../observability/metrics.js';
import { LatestReply } from '../schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The simulator's `?latest=`, while it is still to be recorded. */
    latest: number | undefined;
  }
  interface FastifyContextConfig {
    /** When this route's requests record `latest`: before the handler (the default), with its write, or never. */
    latest?: 'before' | 'with-write' | 'never';
  }
}

const INTEGER = /^-?\d{1,15}$/;
/** How often the records older than the newest one are dropped, so that the table stays tiny. */
const PRUNE_EVERY_MS = 60_000;

function latestOf(request: FastifyRequest): number | undefined {
  const raw = (request.query as { latest?: unknown }).latest;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !INTEGER.test(raw))
    throw new HttpError(400, 'querystring/latest must be integer');
  return Number(raw);
}

/** Registered after the guard, whose `fromSimulator` it reads. */
export const simulatorLatest = fp<{ db: Queryable }>(
  async (app, { db }) => {
    const record = async (actionId: number) => {
      await recordLatest(db, actionId);
      setLatestActionId(actionId);
    };

    app.decorateRequest('latest', undefined);
    app.addHook('onRequest', async (request) => {
      const when = request.routeOptions.config.latest ?? 'before';
      if (when === 'never' || !request.fromSimulator) return;
      const latest = latestOf(request);
      if (latest === undefined) return;
      if (when === 'before') await record(latest);
      else request.latest = latest;
    });
    app.addHook('onSend', async (request) => {
      const latest = request.latest;
      request.latest = undefined;
      if (latest !== undefined) await record(latest);
    });

    app.get(
      '/latest',
      {
        config: { latest: 'never', needsCredentials: false },
        schema: { summary: "The simulator's latest recorded action id", response: { 200: LatestReply } },
      },
      async () => ({ latest: await readLatest(db) }),
    );

    // Safe in every replica at once.
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      timer = setInterval(() => {
        pruneLatest(db).catch((error: unknown) => app.log.warn({ err: error }, 'pruning latest failed'));
      }, PRUNE_EVERY_MS);
      timer.unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'minitwit-simulator-latest', dependencies: ['minitwit-simulator-guard'] },
);

/**
 * Runs a write (on a route whose `latest` is 'with-write') that records the request's `latest` in its own
 * statement. The statement records it whenever it runs: when the write succeeds, and when it breaks a rule
 * (an unknown user, the follow limit: a 4xx found in the statement's result). When the statement failed,
 * `latest` stays pending and is recorded alone before the reply.
 */
export async function withLatest<T>(
  request: FastifyRequest,
  write: (latest: number | undefined) => Promise<T>,
): Promise<T> {
  const latest = request.latest;
  const recorded = () => {
    request.latest = undefined;
    if (latest !== undefined) setLatestActionId(latest);
  };
  try {
    const result = await write(latest);
    recorded();
    return result;
  } catch (error) {
    if (((error as { statusCode?: number }).statusCode ?? 500) < 500) recorded();
    throw error;
  }
}
