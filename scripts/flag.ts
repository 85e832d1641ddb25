// npm run flag -- ID...     flags messages, hiding them from every timeline and API list
// npm run flag -- --list    prints every message: id, author, flag, text (read a page at a time)
// The original MiniTwit's flag_tool, on the same database the app uses (DATABASE_URL or DATA_DIR).
import { flag, messagesForModeration } from '../src/minitwit.js';
import { defineCommand, runMain, UsageError, withDatabase } from './command.js';

const USAGE = `Usage: npm run flag -- <message id>...          flag messages
       npm run flag -- --list [--after ID]  list messages (id, author, flagged, text)

Works on the database the app is configured with (DATABASE_URL, else the embedded one in DATA_DIR).`;
const PAGE = 1000;

export const run = defineCommand(
  {
    name: 'flag',
    usage: USAGE,
    options: { list: { type: 'boolean' }, after: { type: 'string', default: '0' } },
    allowPositionals: true,
  },
  async ({ values, positionals }, io) => {
    if (!values.list && positionals.length === 0) throw new UsageError('give message ids, or --list');
    if (values.list) {
      let afterId = Number(values.after);
      return withDatabase(io, async (db) => {
        for (;;) {
          const page = await messagesForModeration(db, afterId, PAGE);
          for (const m of page)
            io.out(
              `${m.messageId}\t${m.username}\t${m.flagged ? 'flagged' : '-'}\t${m.text.replace(/\s+/g, ' ')}`,
            );
          if (page.length < PAGE) return 0;
          afterId = page.at(-1)!.messageId;
        }
      });
    }
    const ids = positionals.map(Number);
    const bad = positionals.filter((_, i) => !Number.isSafeInteger(ids[i]) || ids[i]! <= 0);
    if (bad.length) throw new UsageError(`Not message ids: ${bad.join(' ')}`);
    const flagged = new Set(await withDatabase(io, (db) => flag(db, ids)));
    for (const id of ids) io.out(flagged.has(id) ? `Flagged message ${id}` : `No message ${id}`);
    return flagged.size === new Set(ids).size ? 0 : 1;
  },
);

runMain(import.meta.url, run);
