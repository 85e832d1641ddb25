// Replicas on one PostgreSQL server tell each other what their writes changed, through LISTEN/NOTIFY on
// one channel, so that each drops the timelines it cached (read-cache.ts).
//
// The notification is sent after the write's commit, from a connection of its own, not inside the write's
// transaction: a NOTIFY in a transaction takes a lock that is held through the commit's WAL flush, so every
// notifying write would commit one after another (no group commit). Changes made within one turn of the
// event loop go out as one notification. The cost: a replica that dies between its commit and its
// notification leaves others stale until their entries expire (TIMELINE_TTL_MS).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { INVALIDATION_CHANNEL as CHANNEL } from './channel.js';
import type { Change, ReadCache } from './read-cache.js';

/** Past this many changes in one notification, it says "everything" (a payload must stay under 8000 bytes). */
const MAX_TAGS = 400;
const RECONNECT_MS = [100, 500, 1000, 2000, 5000];

const tagOf = (change: Change) =>
  'followsOf' in change
    ? `f${change.followsOf}`
    : `m${change.messagesOf === 'anyone' ? '*' : change.messagesOf}`;

/** The changes a notification's tags name ("m12 f7 m*"); unknown tags mean "everything". */
export function changesOf(tags: string[]): Change[] {
  return tags.map((tag): Change => {
    const id = Number(tag.slice(1));
    if (tag[0] === 'f' && Number.isSafeInteger(id)) return { followsOf: id };
    if (tag[0] === 'm' && Number.isSafeInteger(id) && tag !== 'm*') return { messagesOf: id };
    return { messagesOf: 'anyone' };
  });
}

export interface Invalidation {
  close(): Promise<void>;
}

/**
 * Listens for other replicas' changes and announces this one's, on a connection of its own (not the
 * pool's). While it is not listening (connecting, reconnecting), the cache is off: no read is served from
 * memory when a change could go unheard.
 */
export async function startInvalidation(
  cache: ReadCache,
  connectionString: string,
  logger: Pick<Logger, 'warn' | 'info'>,
): Promise<Invalidation> {
  const origin = randomUUID().slice(0, 8);
  const pending = new Set<string>();
  let client: pg.Client | undefined;
  let current: pg.Client | undefined;
  let listening = false;
  let flushing = false;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  cache.setEnabled(false);
  cache.onChange = (change) => {
    pending.add(tagOf(change));
    if (!flushing) {
      flushing = true;
      setImmediate(() => void flush());
    }
  };

  async function flush(): Promise<void> {
    while (pending.size > 0 && !closed) {
      const tags = pending.size > MAX_TAGS ? ['m*'] : [...pending];
      pending.clear();
      try {
        if (!client || !listening) throw new Error('not connected');
        await client.query('SELECT pg_notify($1, $2)', [CHANNEL, `${origin} ${tags.join(' ')}`]);
      } catch (error) {
        // Other replicas may miss this change: their entries expire within TIMELINE_TTL_MS.
        logger.warn({ err: error }, 'could not announce a change to the other replicas');
      }
    }
    flushing = false;
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString });
    current = next;
    next.on('notification', (message) => {
      const [from, ...tags] = (message.payload ?? '').split(' ');
      if (from === origin) return;
      for (const change of changesOf(tags)) cache.apply(change);
    });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('connection ended')));
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      lost(next, error as Error);
      return;
    }
    if (closed || current !== next) return void next.end().catch(() => {});
    client = next;
    listening = true;
    attempt = 0;
    // Anything may have changed while nobody listened: start from empty.
    cache.setEnabled(true);
  }

  /** The connection `which` failed: the cache is off until a new one listens. Later events of it are ignored. */
  function lost(which: pg.Client, error: Error): void {
    if (closed || which !== current) return;
    current = undefined;
    client = undefined;
    listening = false;
    cache.setEnabled(false);
    which.end().catch(() => {});
    const delay = RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]!;
    logger.warn(
      { err: error, retryInMs: delay },
      'cache invalidation: not listening; timelines are read uncached',
    );
    timer = setTimeout(() => void connect(), delay);
  }

  // The first connection is awaited: the cache is on from the first request (if it connects).
  await connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      cache.setEnabled(false);
      await client?.end().catch(() => {});
    },
  };
}
