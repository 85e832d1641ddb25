// Rotation: keep the newest backup of each of the last N days that have one, and the newest of each of the
// last M ISO weeks (Monday to Sunday, UTC); delete the others. Only files named as our backups are touched.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { backupTime, companions } from './archive.js';

export interface Retention {
  keepDaily: number;
  keepWeekly: number;
}

interface Dated {
  file: string;
  at: Date;
}

const day = (at: Date) => at.toISOString().slice(0, 10);

/** The ISO week `at` falls in, as "2026-W48" (the week belongs to the year of its Thursday). */
function isoWeek(at: Date): string {
  const thursday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** Which of `backups` to keep under `retention` (newest of each day and of each week). */
export function backupsToKeep(backups: Dated[], retention: Retention): Set<string> {
  const newestFirst = [...backups].sort((a, b) => b.at.getTime() - a.at.getTime());
  const keep = new Set<string>();
  const pick = (period: (at: Date) => string, count: number) => {
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      const key = period(backup.at);
      if (seen.has(key)) continue;
      if (seen.size === count) break;
      seen.add(key);
      keep.add(backup.file);
    }
  };
  pick(day, retention.keepDaily);
  pick(isoWeek, retention.keepWeekly);
  return keep;
}

/** Deletes the backups in `dir` that `retention` does not keep, with their checksum and manifest; returns their names. */
export async function rotate(dir: string, retention: Retention): Promise<string[]> {
  const backups = (await readdir(dir)).flatMap((file) => {
    const at = backupTime(file);
    return at ? [{ file, at }] : [];
  });
  const keep = backupsToKeep(backups, retention);
  const deleted: string[] = [];
  for (const { file } of backups) {
    if (keep.has(file)) continue;
    const path = join(dir, file);
    const { checksum, manifest } = companions(path);
    await Promise.all([path, checksum, manifest].map((p) => rm(p, { force: true })));
    deleted.push(file);
  }
  return deleted.sort();
}
