// Background upkeep of the simulator state, safe to run in every replica at once.
import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../db/index.js';
import { pruneLatest } from '../data/simulator.js';

/** Every `intervalMs`, drops the `latest` records older than the newest one, so the table stays tiny. */
export function scheduleLatestPruning(app: FastifyInstance, db: Queryable, intervalMs = 60_000): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      pruneLatest(db).catch((error: unknown) => app.log.warn({ err: error }, 'pruning latest failed'));
    }, intervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}
