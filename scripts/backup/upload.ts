// Off-site copies: each backup's three files uploaded to an S3-compatible store (DigitalOcean Spaces, AWS S3,
// MinIO) with the AWS SDK. Retention there is the bucket's lifecycle rule's job (see docs/backup.md).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupToolConfig as Config } from '../backup-config.js';
import { loadOptional } from '../lib/command.js';

export type S3Settings = Config['backup']['s3'];

const awsSdk = () => loadOptional('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3'));

export async function s3Client(s3: S3Settings): Promise<S3Client> {
  const { S3Client } = await awsSdk();
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    // The SDK's default since 2025 (a CRC32 checksum trailer on every upload) is not accepted by every
    // S3-compatible store; SHA-256 content signing still protects the upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Uploads `files` (the dump last, so that a listing never shows a dump without its checksum); returns the dump's URL. */
export async function uploadBackup(
  s3: S3Settings,
  files: { dump: string; others: string[] },
): Promise<string> {
  if (!s3.bucket) throw new Error('BACKUP_S3_BUCKET is not set');
  const { PutObjectCommand } = await awsSdk();
  const client = await s3Client(s3);
  try {
    for (const file of [...files.others, files.dump]) {
      await client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: `${s3.prefix}${basename(file)}`,
          Body: createReadStream(file),
          ContentLength: (await stat(file)).size,
          ContentType: file.endsWith('.gz') ? 'application/gzip' : 'text/plain; charset=utf-8',
        }),
      );
    }
  } finally {
    client.destroy();
  }
  return `s3://${s3.bucket}/${s3.prefix}${basename(files.dump)}`;
}
