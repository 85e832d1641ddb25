// The backup tool's own settings (npm run backup and restore), read as the app reads its own (src/settings.ts):
// the app itself only reads the record of the last backup, from the database.
import { relative, isAbsolute, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Config } from '../src/config.js';
import { ConfigError, from, HIDDEN, loadSettings } from '../src/settings.js';

const BackupSchema = Type.Object({
  dir: from('BACKUP_DIR', Type.String({ minLength: 1, default: './backups' })),
  /** Rotation: the newest backup of each of the last N days, and of each of the last M weeks. */
  keepDaily: from('BACKUP_KEEP_DAILY', Type.Integer({ minimum: 1, default: 7 })),
  keepWeekly: from('BACKUP_KEEP_WEEKLY', Type.Integer({ minimum: 0, default: 4 })),
  /** A cron expression (UTC): with it, `npm run backup -- --scheduled` backs up at those times. */
  schedule: from('BACKUP_SCHEDULE', Type.String({ minLength: 1, default: '0 3 * * *' })),
  /** The pg_dump binary for a server: its major version must be at least the server's. */
  pgDump: from('PG_DUMP', Type.String({ minLength: 1, default: 'pg_dump' })),
  /** An S3-compatible store (DigitalOcean Spaces) to upload each backup to; off when no bucket is set. */
  bucket: from('BACKUP_S3_BUCKET', Type.Optional(Type.String({ minLength: 1 }))),
  endpoint: from('BACKUP_S3_ENDPOINT', Type.Optional(Type.String({ pattern: '^https?://' }))),
  region: from('BACKUP_S3_REGION', Type.String({ minLength: 1, default: 'us-east-1' })),
  prefix: from('BACKUP_S3_PREFIX', Type.String({ default: 'minitwit/' })),
  accessKeyId: from('BACKUP_S3_ACCESS_KEY_ID', Type.Optional(Type.String({ minLength: 1 }))),
  secretAccessKey: from('BACKUP_S3_SECRET_ACCESS_KEY', Type.Optional(Type.String({ minLength: 1 })), HIDDEN),
  /** Path-style URLs (endpoint/bucket/key), for stores that do not serve bucket subdomains. */
  forcePathStyle: from('BACKUP_S3_FORCE_PATH_STYLE', Type.Boolean({ default: false })),
  /**
   * Signs each backup's manifest (HMAC-SHA256), and a restore checks it: a backup's origin, which its
   * checksum cannot show. Kept apart from the backups (a secret file, not in BACKUP_DIR or the bucket).
   */
  signingKey: from('BACKUP_SIGNING_KEY', Type.Optional(Type.String({ minLength: 32 })), HIDDEN),
});

/** A key stored beside the backups signs nothing: whoever can swap a backup can read it. */
function refuseKeyBesideBackups(env: NodeJS.ProcessEnv, dir: string): void {
  const file = env.BACKUP_SIGNING_KEY_FILE;
  if (!file) return;
  const inside = relative(resolve(dir), resolve(file));
  if (inside && !inside.startsWith('..') && !isAbsolute(inside))
    throw new ConfigError(
      `BACKUP_SIGNING_KEY_FILE=${file} is inside BACKUP_DIR (${dir}): keep the signing key apart from the backups`,
    );
}

export function loadBackupConfig(env: NodeJS.ProcessEnv) {
  const { bucket, endpoint, region, prefix, accessKeyId, secretAccessKey, forcePathStyle, ...rest } =
    loadSettings(BackupSchema, env);
  refuseKeyBesideBackups(env, rest.dir);
  return { ...rest, s3: { bucket, endpoint, region, prefix, accessKeyId, secretAccessKey, forcePathStyle } };
}

/** The app's configuration and the backup tool's: what the backup and restore scripts run with. */
export type BackupToolConfig = Config & { backup: ReturnType<typeof loadBackupConfig> };
