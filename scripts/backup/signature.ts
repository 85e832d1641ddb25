// A backup's manifest signed with HMAC-SHA256 under BACKUP_SIGNING_KEY. The manifest holds the dump's
// SHA-256, so its signature vouches for the dump as well: a checksum shows a file is whole, the signature
// that it was made by someone holding the key (our backup job), not planted beside the backups.
// The signature is over the manifest's JSON without its `signature` field, as JSON.stringify writes it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Manifest } from './archive.js';

const PREFIX = 'hmac-sha256:';

const unsigned = (manifest: Manifest): Omit<Manifest, 'signature'> => {
  const rest = { ...manifest };
  delete rest.signature;
  return rest;
};

const mac = (manifest: Manifest, key: string) =>
  createHmac('sha256', key)
    .update(JSON.stringify(unsigned(manifest)))
    .digest();

/** `manifest` with its signature under `key`. */
export function signManifest(manifest: Manifest, key: string): Manifest {
  return { ...unsigned(manifest), signature: `${PREFIX}${mac(manifest, key).toString('hex')}` };
}

/** 'valid', 'unsigned' (no signature), or 'invalid' (another key's, or the manifest changed since). */
export function checkSignature(manifest: Manifest, key: string): 'valid' | 'unsigned' | 'invalid' {
  if (manifest.signature === undefined) return 'unsigned';
  if (typeof manifest.signature !== 'string' || !manifest.signature.startsWith(PREFIX)) return 'invalid';
  const given = Buffer.from(manifest.signature.slice(PREFIX.length), 'hex');
  const expected = mac(manifest, key);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}
