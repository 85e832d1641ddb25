// The upload against s3rver, a local server of the S3 protocol (the one DigitalOcean Spaces speaks) that
// stores objects on disk. It does not check signatures, so credentials are not tested here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { s3Client, uploadBackup, type S3Settings } from '../../../scripts/backup/upload.js';

let dir: string;
let server: S3rver;
let settings: S3Settings;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minitwit-s3-'));
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(dir, 'store'),
    configureBuckets: [{ name: 'minitwit-backups', configs: [] }],
  });
  const address = await server.run();
  settings = {
    bucket: 'minitwit-backups',
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'fra1',
    prefix: 'prod/',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('when a backup is uploaded, then the store holds its three files byte for byte under the prefix', async () => {
  const dump = join(dir, 'minitwit-20261128T030000Z.sql.gz');
  const bytes = Buffer.from([0x1f, 0x8b, 0, 1, 2, 255, 254, 10, 13]);
  writeFileSync(dump, bytes);
  writeFileSync(`${dump}.sha256`, 'abc  minitwit-20261128T030000Z.sql.gz\n');
  const url = await uploadBackup(settings, { dump, others: [`${dump}.sha256`] });
  expect(url).toBe('s3://minitwit-backups/prod/minitwit-20261128T030000Z.sql.gz');
  const client = await s3Client(settings);
  const read = async (key: string) => {
    const reply = await client.send(new GetObjectCommand({ Bucket: 'minitwit-backups', Key: key }));
    return Buffer.from(await reply.Body!.transformToByteArray());
  };
  expect(await read('prod/minitwit-20261128T030000Z.sql.gz')).toEqual(bytes);
  expect((await read('prod/minitwit-20261128T030000Z.sql.gz.sha256')).toString()).toBe(
    readFileSync(`${dump}.sha256`, 'utf8'),
  );
  client.destroy();
});

test("when the bucket does not exist, then the upload fails with the store's answer", async () => {
  const dump = join(dir, 'minitwit-20261128T040000Z.sql.gz');
  writeFileSync(dump, 'x');
  await expect(uploadBackup({ ...settings, bucket: 'no-such-bucket' }, { dump, others: [] })).rejects.toThrow(
    /bucket does not exist/i,
  );
});
