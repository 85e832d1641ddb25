import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { backupFileName, backupTime } from '../../../scripts/backup/archive.js';
import { backupsToKeep, rotate } from '../../../scripts/backup/rotation.js';

/** A backup at 03:00 UTC on each of `days` days back from Sunday 2026-11-29, plus a second one today. */
function dailyBackups(days: number) {
  const sunday = Date.UTC(2026, 10, 29, 3);
  const backups = Array.from({ length: days }, (_, i) => new Date(sunday - i * 86_400_000));
  backups.push(new Date(sunday + 3_600_000));
  return backups.map((at) => ({ file: backupFileName(at), at }));
}

test('when rotating, then the newest backup of each of the last N days and of each of the last M weeks stay', () => {
  const backups = dailyBackups(40);
  const keep = backupsToKeep(backups, { keepDaily: 3, keepWeekly: 4 });
  expect([...keep].sort()).toEqual(
    [
      'minitwit-20261129T040000Z.sql.gz', // today's newest (this week's newest, too)
      'minitwit-20261128T030000Z.sql.gz',
      'minitwit-20261127T030000Z.sql.gz',
      'minitwit-20261122T030000Z.sql.gz', // Sundays: the newest of each earlier ISO week
      'minitwit-20261115T030000Z.sql.gz',
      'minitwit-20261108T030000Z.sql.gz',
    ].sort(),
  );
});

test('when a file name is not a backup of ours, then it is neither dated nor deleted', async () => {
  expect(backupTime('minitwit-20261129T040000Z.sql.gz')).toEqual(new Date('2026-11-29T04:00:00Z'));
  expect(backupTime('notes.sql.gz')).toBeUndefined();
  const dir = mkdtempSync(join(tmpdir(), 'minitwit-rotation-'));
  for (const { file } of dailyBackups(3)) {
    writeFileSync(join(dir, file), 'x');
    writeFileSync(join(dir, `${file}.sha256`), 'x');
    writeFileSync(join(dir, file.replace('.sql.gz', '.manifest.json')), 'x');
  }
  writeFileSync(join(dir, 'notes.sql.gz'), 'mine');
  const deleted = await rotate(dir, { keepDaily: 1, keepWeekly: 0 });
  expect(deleted).toEqual([
    'minitwit-20261127T030000Z.sql.gz',
    'minitwit-20261128T030000Z.sql.gz',
    'minitwit-20261129T030000Z.sql.gz',
  ]);
  expect(readdirSync(dir).sort()).toEqual([
    'minitwit-20261129T040000Z.manifest.json',
    'minitwit-20261129T040000Z.sql.gz',
    'minitwit-20261129T040000Z.sql.gz.sha256',
    'notes.sql.gz',
  ]);
  rmSync(dir, { recursive: true, force: true });
});
