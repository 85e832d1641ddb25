// SQL for the record of backups that succeeded (written by `npm run backup`, read by /metrics).
import type { Queryable } from '../db/index.js';

export interface BackupRecord {
  file: string;
  sizeBytes: number;
  sha256: string;
  durationMs: number;
  uploadedTo: string | undefined;
}

export async function recordBackup(db: Queryable, backup: BackupRecord): Promise<void> {
  await db.query(
    'INSERT INTO backups (file, size_bytes, sha256, duration_ms, uploaded_to) VALUES ($1, $2, $3, $4, $5)',
    [backup.file, backup.sizeBytes, backup.sha256, backup.durationMs, backup.uploadedTo ?? null],
  );
}

/** When the newest successful backup finished and its size, or undefined when there was none. */
export async function lastBackup(
  db: Queryable,
): Promise<{ finishedAt: Date; sizeBytes: number } | undefined> {
  const rows = await db.query<{ finishedAt: Date; sizeBytes: number }>(
    'SELECT finished_at AS "finishedAt", size_bytes AS "sizeBytes" FROM backups ORDER BY finished_at DESC LIMIT 1',
  );
  return rows[0];
}
