// The embedded database's files (password hashes among them) and the generated session secret are the
// owner's alone: DATA_DIR and everything in it is made owner-only at start, whatever was there before and
// whatever modes PGlite gives the files it writes (0666, whatever the umask).
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { sessionSecret } from '../../src/web/sessions.js';
import { DataDirError, secureDataDir } from '../../src/db/data-dir.js';
import { openPglite } from '../../src/db/pglite.js';

const root = mkdtempSync(join(tmpdir(), 'minitwit-datadir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** The run's template as a dump, loaded into the data directory (2 s, where initdb takes 6-8 s). */
function template(): Blob | undefined {
  const source = inject('testDatabase');
  return source.kind === 'pglite' ? new Blob([readFileSync(source.dumpFile)]) : undefined;
}

/** Every path under `dir` (itself included) whose mode lets anyone but the owner in. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    const stat = statSync(path);
    if ((stat.mode & 0o077) !== 0) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(dir);
  return found;
}

test('when the embedded database is created and used, then DATA_DIR and every file in it are owner-only', async () => {
  const dataDir = join(root, 'fresh');
  const previous = process.umask(0o000); // the worst case: nothing masked
  try {
    const config = loadConfig({ DATA_DIR: dataDir });
    sessionSecret(config);
    // As openDatabase opens it (src/db/index.ts), but from the template rather than by initdb.
    secureDataDir(dataDir);
    const db = await openPglite({ dataDir: join(dataDir, 'pglite'), loadDataDir: template() });
    await db.exec('CREATE TABLE t (x text); INSERT INTO t VALUES (1)');
    await db.close();
  } finally {
    process.umask(previous);
  }
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  expect(openToOthers(dataDir)).toEqual([]);
});

test('when DATA_DIR was left open to everyone, then start makes it owner-only again, files and folders', () => {
  const dataDir = join(root, 'loose');
  mkdirSync(join(dataDir, 'pglite', 'base'), { recursive: true, mode: 0o777 });
  writeFileSync(join(dataDir, 'pglite', 'base', 'hashes'), 'secret', { mode: 0o666 });
  writeFileSync(join(dataDir, 'session-secret'), 'x'.repeat(40), { mode: 0o644 });
  for (const dir of [dataDir, join(dataDir, 'pglite'), join(dataDir, 'pglite', 'base')])
    chmodSync(dir, 0o777);
  chmodSync(join(dataDir, 'pglite', 'base', 'hashes'), 0o666);
  writeFileSync(join(dataDir, 'operator-notes.txt'), 'not ours', { mode: 0o644 });
  chmodSync(join(dataDir, 'operator-notes.txt'), 0o644);
  secureDataDir(dataDir);
  expect(openToOthers(dataDir)).toEqual([`${join(dataDir, 'operator-notes.txt')} 644`]);
  expect(statSync(join(dataDir, 'pglite', 'base', 'hashes')).mode & 0o777).toBe(0o600);
});

test('when DATA_DIR is a shared directory such as /tmp, then start refuses instead of locking it', () => {
  const shared = join(root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  expect(() => secureDataDir(shared)).toThrow(DataDirError);
  expect(() => secureDataDir(shared)).toThrow(/directory of its own/);
  expect(statSync(shared).mode & 0o7777).toBe(0o1777);
});
