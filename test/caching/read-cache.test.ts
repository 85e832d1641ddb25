// The read cache's own rules, without a database: bounded, a change drops what it makes stale, a read
// that began before a change is not kept; and the timestamp fast path reads what the driver reads.
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { changesOf } from '../../src/caching/invalidation.js';
import { ReadCache } from '../../src/caching/read-cache.js';
import { parseUtcTimestamp } from '../../src/db/postgres.js';

describe('ReadCache', () => {
  test('when far more is read than it may hold, then it holds at most its bound', async () => {
    const cache = new ReadCache();
    for (let i = 0; i < 12_000; i++) await cache.read(`author:${i}`, 'k', async () => 'x'.repeat(100));
    expect(cache.stats().timelines).toBeLessThanOrEqual(5000);
    expect(cache.stats().timelineBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
  });

  test('when thousands of distinct older pages are read, then they are kept apart and every first page stays', async () => {
    const cache = new ReadCache();
    for (let i = 0; i < 100; i++) await cache.read(`author:${i}`, 'first page', async () => 'first');
    for (let i = 0; i < 6000; i++)
      await cache.read('public', `older page ${i}`, async () => 'older', { older: true });
    expect(cache.stats().olderPages).toBeGreaterThan(0);
    expect(cache.stats().olderPages).toBeLessThanOrEqual(1000);
    for (let i = 0; i < 100; i++) expect(cache.entriesOf(`author:${i}`), `author:${i}`).toBe(1);
    // Kept: read again without loading.
    expect(await cache.read('author:7', 'first page', async () => 'loaded again')).toBe('first');
  });

  test('when a message is posted, then public, personal and the author drop; others stay', async () => {
    const cache = new ReadCache();
    for (const scope of ['public', 'author:1', 'author:2', 'personal:3', 'follows:3'] as const)
      await cache.read(scope, 'k', async () => scope);
    cache.apply({ messagesOf: 1 });
    expect(
      ['public', 'author:1', 'author:2', 'personal:3', 'follows:3'].map((s) =>
        cache.entriesOf(s as 'public'),
      ),
    ).toEqual([0, 0, 1, 0, 1]);
    cache.apply({ followsOf: 3 });
    expect(cache.entriesOf('follows:3')).toBe(0);
  });

  test('when a change happens during a read, then that read is served but not kept', async () => {
    const cache = new ReadCache();
    const value = await cache.read('public', 'k', async () => {
      cache.apply({ messagesOf: 9 });
      return 'old';
    });
    expect(value).toBe('old');
    expect(cache.entriesOf('public')).toBe(0);
  });

  test('when a notification names changes, then each is read back; anything unknown means everything', () => {
    expect(changesOf(['m12', 'f7', 'm*', 'zz'])).toEqual([
      { messagesOf: 12 },
      { followsOf: 7 },
      { messagesOf: 'anyone' },
      { messagesOf: 'anyone' },
    ]);
  });
});

test('the timestamptz fast path reads what the driver reads, and leaves it what it does not handle', () => {
  const driver = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;
  for (const text of [
    '2026-11-28 10:04:25.123456+00',
    '2026-11-28 10:04:25+00',
    '2026-01-02 03:04:05.1+00',
    '1999-12-31 23:59:59.999999+00',
  ])
    expect(parseUtcTimestamp(text)?.getTime()).toBe(driver(text).getTime());
  for (const text of [
    '2026-11-28 10:04:25+02',
    '0099-01-01 00:00:00+00',
    'infinity',
    '2026-11-28 10:04:25.+00',
    '2026-11-28 10:04+00',
  ])
    expect(parseUtcTimestamp(text)).toBeUndefined();
});
