// minitwit flag ID...     flags messages, hiding them from every timeline and API list
// minitwit flag --list    prints every message: id, author, flag, text (read a page at a time)
// The original MiniTwit's flag_tool, on the same database the app uses (DATABASE_URL or DATA_DIR).
// What users wrote reaches the moderator's terminal with every invisible character (controls, bidi,
// zero-width and other Default_Ignorable ones) shown as an escape (src/terminal-text.ts); ids are plain
// decimal numbers, so that a typo cannot flag another one.
import { flag, messagesForModeration } from '../../src/minitwit.js';
import { showInvisible } from '../../src/terminal-text.js';
import { defineCommand, UsageError, withDatabase } from '../lib/command.js';

const USAGE = `Usage: minitwit flag <message id>...          flag messages
       minitwit flag --list [--after ID]  list messages (id, author, flagged, text)

Works on the database the app is configured with (DATABASE_URL, else the embedded one in DATA_DIR).`;
const PAGE = 1000;
/** A message id as a person types it: decimal digits, no sign, exponent, prefix or leading zero. */
const MESSAGE_ID = /^[1-9]\d{0,15}$/;
const isMessageId = (text: string) => MESSAGE_ID.test(text) && Number.isSafeInteger(Number(text));
/**
 * One line of the listing: runs of ASCII whitespace (newlines included) as one space, every other
 * character a reader cannot see, or cannot tell from a space, escaped.
 */
const shown = (text: string) => showInvisible(text.replace(/[ \t\n\r\f\v]+/g, ' '));

export const run = defineCommand(
  {
    name: 'flag',
    summary: 'flag messages (hide them), or list messages for moderation',
    usage: USAGE,
    options: { list: { type: 'boolean' }, after: { type: 'string', default: '0' } },
    allowPositionals: true,
  },
  async ({ values, positionals }, io) => {
    if (!values.list && positionals.length === 0) throw new UsageError('give message ids, or --list');
    if (values.list) {
      if (values.after !== '0' && !isMessageId(values.after))
        throw new UsageError('--after must be a message id (a whole number, as --list prints them)');
      let afterId = Number(values.after);
      return withDatabase(io, async (db) => {
        for (;;) {
          const page = await messagesForModeration({ db }, afterId, PAGE);
          for (const m of page)
            io.out(`${m.messageId}\t${shown(m.username)}\t${m.flagged ? 'flagged' : '-'}\t${shown(m.text)}`);
          if (page.length < PAGE) return 0;
          afterId = page.at(-1)!.messageId;
        }
      });
    }
    const bad = positionals.filter((id) => !isMessageId(id));
    if (bad.length) throw new UsageError(`Not message ids: ${bad.map(showInvisible).join(' ')}`);
    const ids = positionals.map(Number);
    const flagged = new Set(await withDatabase(io, (db) => flag({ db }, ids)));
    for (const id of ids) io.out(flagged.has(id) ? `Flagged message ${id}` : `No message ${id}`);
    return flagged.size === new Set(ids).size ? 0 : 1;
  },
);
