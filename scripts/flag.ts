// npm run flag -- ID...     flags messages, hiding them from every timeline and API list
// npm run flag -- --list    prints every message: id, author, flag, text (read a page at a time)
// The original MiniTwit's flag_tool, on the same database the app uses (DATABASE_URL or DATA_DIR).
import { parseArgs } from 'node:util';
import type { Queryable } from '../src/db/index.js';
import { flagMessages, listMessagesForModeration } from '../src/data/messages.js';
import { migrate } from '../src/db/migrate.js';
import { isMain, withDatabase } from './cli.js';

const USAGE = `Usage: npm run flag -- <message id>...   flag messages
       npm run flag -- --list [--after ID]  list messages (id, author, flagged, text)`;
const PAGE = 1000;

export async function flagCommand(
  db: Queryable,
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      list: { type: 'boolean' },
      after: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || (!values.list && positionals.length === 0)) {
    print(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.list) {
    let afterId = Number(values.after);
    for (;;) {
      const page = await listMessagesForModeration(db, afterId, PAGE);
      for (const m of page)
        print(
          `${m.messageId}\t${m.username}\t${m.flagged ? 'flagged' : '-'}\t${m.text.replace(/\s+/g, ' ')}`,
        );
      if (page.length < PAGE) return 0;
      afterId = page.at(-1)!.messageId;
    }
  }
  const ids = positionals.map(Number);
  const bad = positionals.filter((_, i) => !Number.isSafeInteger(ids[i]) || ids[i]! <= 0);
  if (bad.length) {
    print(`Not message ids: ${bad.join(' ')}\n${USAGE}`);
    return 2;
  }
  const flagged = new Set(await flagMessages(db, ids));
  for (const id of ids) print(flagged.has(id) ? `Flagged message ${id}` : `No message ${id}`);
  return flagged.size === new Set(ids).size ? 0 : 1;
}

if (isMain(import.meta.url)) {
  await withDatabase(async (db) => {
    await migrate(db);
    return flagCommand(db, process.argv.slice(2), (line) => console.log(line));
  });
}
