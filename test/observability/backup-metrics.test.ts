import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { recordBackup } from '../../src/data/backups.js';
import { startApi, type TestApp } from '../helpers/app.js';
import { parseSamples, valueOf } from './prometheus-text.js';

let api: TestApp;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.close());

// As Prometheus does: on the operations port (METRICS_PORT).
const scrape = async () => parseSamples((await api.metrics.inject({ method: 'GET', url: '/metrics' })).body);

test('when no backup ever succeeded, then the last backup time and size are 0 (old enough to alert)', async () => {
  const samples = await scrape();
  expect(valueOf(samples, 'minitwit_backup_last_success_timestamp_seconds')).toBe(0);
  expect(valueOf(samples, 'minitwit_backup_last_size_bytes')).toBe(0);
});

test('when backups were recorded, then /metrics reports the newest one, read from the database', async () => {
  const backup = { file: 'a.sql.gz', sha256: 'x', durationMs: 5, uploadedTo: undefined };
  await recordBackup(api.db, { ...backup, sizeBytes: 100 });
  const before = Date.now() / 1000;
  await recordBackup(api.db, { ...backup, file: 'b.sql.gz', sizeBytes: 12345 });
  // Scrapes share one read of the table for a second: a scrape within it may still show the earlier state.
  const samples = await vi.waitFor(
    async () => {
      const latest = await scrape();
      expect(valueOf(latest, 'minitwit_backup_last_size_bytes')).toBe(12345);
      return latest;
    },
    { timeout: 20_000, interval: 100 },
  );
  const at = valueOf(samples, 'minitwit_backup_last_success_timestamp_seconds');
  expect(at).toBeGreaterThanOrEqual(Math.floor(before) - 1);
  expect(at).toBeLessThanOrEqual(Date.now() / 1000);
});
