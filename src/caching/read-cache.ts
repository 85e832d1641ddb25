// What a process keeps in memory to answer reads without PostgreSQL: timelines as they are served
// (serialised, or as page views), and usernames resolved to ids. Every cache is bounded (lru-cache, in
// entries and in bytes). Correctness first:
// - a write by this process drops what it changed before its reply leaves (same replica: at once);
// - other replicas hear of it through PostgreSQL's LISTEN/NOTIFY (invalidation.ts) within milliseconds;
// - a read that started before a change is never stored after it (the generation check below);
// - every timeline entry also expires after TIMELINE_TTL_MS, whatever happens (a replica that died between
//   its commit and its notification, a lost listener connection): the bound on staleness when all else fails.
import { LRUCache } from 'lru-cache';

/** A timeline's scope: what a change must drop. */
export type Scope = 'public' | `author:${number}` | `personal:${number}` | `follows:${number}`;

/** What a write changed, as told to every replica. */
export type Change = { messagesOf: number | 'anyone' } | { followsOf: number };

const TIMELINE_TTL_MS = 1000;
// 32 MB and 5,000 entries in all. Pages that start at a cursor (`?before=`, "Older messages") have their own
// quarter: however many distinct cursors are read, they cannot push out the first pages, which nearly
// every reader asks for (issue 18, item 6).
const FIRST_PAGES = { maxSize: 24 * 1024 * 1024, max: 4000 };
const OLDER_PAGES = { maxSize: 8 * 1024 * 1024, max: 1000 };
const NAMES_MAX_ENTRIES = 100_000;

/** A page of a timeline as a key within its scope: what the page was made into (`view`), and where it starts. */
export const pageKey = (
  view: string,
  page: { limit: number; before?: { pubDate: string; messageId: number } | undefined },
) => `${view}|${page.limit}|${page.before?.pubDate ?? ''}|${page.before?.messageId ?? ''}`;

export interface ReadOptions {
  /** Load and do not store: a page that must show the reader's own write. */
  bypass?: boolean;
  /** A page that starts at a cursor: kept apart from the first pages (see OLDER_PAGES). */
  older?: boolean;
}

interface Entry {
  scope: Scope;
  value: unknown;
}

export class ReadCache {
  /** Raised by every change: a read that began under an older generation is not stored. */
  private generation = 0;
  /** False while changes from other replicas may go unheard (the listener is reconnecting). */
  private enabled = true;
  private readonly byScope = new Map<Scope, Set<string>>();
  private readonly firstPages = this.timelineCache(FIRST_PAGES);
  private readonly olderPages = this.timelineCache(OLDER_PAGES);
  /** A user's id and stored name by the name a request gave. A name never changes its id; a miss is never kept. */
  readonly users = new LRUCache<string, { userId: number; username: string }>({ max: NAMES_MAX_ENTRIES });
  /** Told of every change made here (invalidation.ts tells the other replicas). */
  onChange: (change: Change) => void = () => {};

  /** The value cached under (scope, key), else `load()`'s, stored unless something changed meanwhile. */
  async read<T>(
    scope: Scope,
    key: string,
    load: () => Promise<T>,
    { bypass = false, older = false }: ReadOptions = {},
  ): Promise<T> {
    const full = `${scope}\u0000${key}`;
    if (!this.enabled || bypass) return load();
    const timelines = older ? this.olderPages : this.firstPages;
    const hit = timelines.get(full);
    if (hit) return hit.value as T;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation && this.enabled) {
      timelines.set(full, { scope, value });
      let keys = this.byScope.get(scope);
      if (!keys) this.byScope.set(scope, (keys = new Set()));
      keys.add(full);
    }
    return value;
  }

  /** A change made by this process: dropped here at once, and announced. */
  changed(change: Change): void {
    this.apply(change);
    this.onChange(change);
  }

  /** Drops what `change` makes stale (from this process or another replica). */
  apply(change: Change): void {
    this.generation++;
    if ('followsOf' in change) {
      this.dropScope(`personal:${change.followsOf}`);
      this.dropScope(`follows:${change.followsOf}`);
      return;
    }
    if (change.messagesOf === 'anyone') return this.clear();
    this.dropScope('public');
    this.dropScope(`author:${change.messagesOf}`);
    // Anyone may follow the author: every personal timeline may show the message.
    for (const scope of [...this.byScope.keys()]) if (scope.startsWith('personal:')) this.dropScope(scope);
  }

  /** Drops every timeline (names stay: they never change). */
  clear(): void {
    this.generation++;
    this.firstPages.clear();
    this.olderPages.clear();
  }

  /** Off: every read goes to the database (and nothing is stored) until enabled again. */
  setEnabled(enabled: boolean): void {
    this.clear();
    this.enabled = enabled;
  }

  /** How many entries a scope holds (expired ones included, until read or evicted). */
  entriesOf(scope: Scope): number {
    return this.byScope.get(scope)?.size ?? 0;
  }

  stats() {
    return {
      timelines: this.firstPages.size + this.olderPages.size,
      timelineBytes: this.firstPages.calculatedSize + this.olderPages.calculatedSize,
      olderPages: this.olderPages.size,
      users: this.users.size,
      enabled: this.enabled,
    };
  }

  private dropScope(scope: Scope): void {
    for (const key of [...(this.byScope.get(scope) ?? [])]) {
      this.firstPages.delete(key);
      this.olderPages.delete(key);
    }
  }

  /** Timelines bounded in entries and in bytes, each entry listed under its scope while it is held. */
  private timelineCache(bounds: { max: number; maxSize: number }) {
    return new LRUCache<string, Entry>({
      ...bounds,
      sizeCalculation: (entry, key) => key.length + sizeOf(entry.value),
      ttl: TIMELINE_TTL_MS,
      // The ttl is checked on read (no timers); expired entries still count until evicted or read.
      ttlAutopurge: false,
      dispose: (entry, key) => {
        const keys = this.byScope.get(entry.scope);
        keys?.delete(key);
        if (keys?.size === 0) this.byScope.delete(entry.scope);
      },
    });
  }
}

/** An estimate in bytes (UTF-16 strings: 2 per code unit), enough to bound memory. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return 2 * value.length + 16;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + sizeOf(item), 16);
  if (value && typeof value === 'object')
    return Object.values(value).reduce((sum: number, item) => sum + sizeOf(item), 16);
  return 8;
}
