import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { openPglite } from '../../src/db/pglite.js';
import { migrate } from '../../src/db/migrate.js';
import { insertUser, findUserByName } from '../../src/data/users.js';

const dir = mkdtempSync(join(tmpdir(), 'minitwit-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('when the embedded database is closed and reopened, then its data is still there', async () => {
  const dataDir = join(dir, 'pglite');
  const first = await openPglite({ dataDir });
  await migrate(first);
  await insertUser(first, { username: 'persisted', email: 'p@x', pwHash: 'h' });

  // A second opener of the same directory is refused while the first holds it.
  await expect(openPglite({ dataDir })).rejects.toThrow(/in use by process/);
  await first.close();

  const second = await openPglite({ dataDir });
  expect((await findUserByName(second, 'persisted'))?.email).toBe('p@x');
  await second.close();
});
