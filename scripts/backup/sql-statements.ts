// Splits a plain-SQL dump (pg_dump --inserts) into statements, streaming, so that a restore runs it through
// our own Database interface on either database, with no psql on the machine. It knows just enough of
// PostgreSQL's lexical rules to find the semicolons that end statements: quoted strings ('' and E'' with
// backslashes), quoted identifiers, dollar quotes, comments (nested, as PostgreSQL nests them). Identifier
// characters are PostgreSQL's ($ and every non-ASCII letter among them), so that `a$x$` is a name here as
// there and not the start of a dollar quote. psql's meta-commands (pg_dump writes \restrict and
// \unrestrict lines) are handed to `onMetaCommand` and dropped. COPY ... FROM stdin data is refused: our
// dumps use INSERTs.

type State = 'code' | 'string' | 'escapeString' | 'identifier' | 'dollar' | 'lineComment' | 'blockComment';

export class SqlScriptError extends Error {
  override name = 'SqlScriptError';
}

const COPY_REFUSED = 'This file holds COPY data: only plain dumps made with --inserts can be restored.';
const CUT_SHORT = '(is the file cut short?)';
/** A character that continues a name in PostgreSQL: a letter, digit, _, $ or any non-ASCII character. */
const IDENTIFIER_PART = /[\w$\u0080-\uffff]/;

class Lexer {
  private state: State = 'code';
  /** The statement so far, in pieces (joined once it ends: appending to one long string is quadratic). */
  private parts: string[] = [];
  /** The last two characters of code (outside strings) before the current position: "E'" and "x$" need them. */
  private before = '  ';
  /** Nothing but whitespace in the statement yet (psql meta-commands count only there). */
  private blank = true;
  private dollarTag = '';
  private atLineStart = true;
  /** How many block comments are open (PostgreSQL nests them). */
  private commentDepth = 0;

  constructor(private readonly onMetaCommand: (line: string) => void) {}

  private push(text: string): void {
    if (!text) return;
    this.parts.push(text);
    if (this.blank && text.trim()) this.blank = false;
  }

  private code(text: string): void {
    this.push(text);
    this.before = (this.before + text).slice(-2);
  }

  /**
   * Reads `text`, returning the statements it completed and how much of `text` it read: a token that may
   * go on in the next chunk (a dollar tag, a "--" or "/*" pair, a backslash escape, a meta-command line) is
   * left for then, unless this is the `last` chunk.
   */
  feed(text: string, last: boolean): { statements: string[]; read: number } {
    const done: string[] = [];
    let i = 0;
    // Reads up to (not including) `end`, or waits for the next chunk when `end` is not in this one but may
    // be in the next (`keep` characters of a terminator could already be here).
    const upTo = (end: number, keep: number): boolean => {
      if (end === -1) {
        const stop = last ? text.length : Math.max(i, text.length - keep);
        this.push(text.slice(i, stop));
        i = stop;
        return false;
      }
      this.push(text.slice(i, end));
      i = end;
      return true;
    };
    const special = /[;'"$\-/\\\n]/g;
    while (i < text.length) {
      const state = this.state;
      if (state === 'string' || state === 'identifier') {
        const quote = state === 'string' ? "'" : '"';
        if (!upTo(text.indexOf(quote, i), 0)) break;
        this.code(quote); // a doubled '' leaves and re-enters the string: the same text
        this.state = 'code';
        i++;
        continue;
      }
      if (state === 'escapeString') {
        const end = text.slice(i).search(/['\\]/);
        if (!upTo(end === -1 ? -1 : i + end, 0)) break;
        if (text[i] === '\\') {
          if (i + 1 >= text.length && !last) break;
          this.push(text.slice(i, i + 2));
          i += 2;
          continue;
        }
        this.code("'");
        this.state = 'code';
        i++;
        continue;
      }
      if (state === 'dollar') {
        if (!upTo(text.indexOf(this.dollarTag, i), this.dollarTag.length - 1)) break;
        this.code(this.dollarTag);
        i += this.dollarTag.length;
        this.state = 'code';
        continue;
      }
      if (state === 'lineComment') {
        const end = text.indexOf('\n', i);
        if (end === -1) {
          i = last ? text.length : Math.max(i, text.length - 1);
          break;
        }
        i = end;
        this.state = 'code';
        continue;
      }
      if (state === 'blockComment') {
        const mark = /\/\*|\*\//g;
        mark.lastIndex = i;
        const found = mark.exec(text);
        if (!found) {
          i = last ? text.length : Math.max(i, text.length - 1);
          break;
        }
        i = found.index + 2;
        this.commentDepth += found[0] === '/*' ? 1 : -1;
        if (this.commentDepth === 0) this.state = 'code';
        continue;
      }
      // Code: ordinary characters in runs, up to the next one that matters.
      special.lastIndex = i;
      const found = special.exec(text);
      const next = found ? found.index : text.length;
      if (next > i) {
        this.code(text.slice(i, next));
        this.atLineStart = false;
        i = next;
        continue;
      }
      const c = text[i]!;
      if ('-/\\$'.includes(c) && !last && i + (c === '$' ? 66 : 2) > text.length) break;
      const after = text[i + 1];
      if (this.atLineStart && c === '\\' && this.blank) {
        const end = text.indexOf('\n', i);
        if (end === -1 && !last) break;
        if (/^\\(copy|\.)/i.test(text.slice(i, i + 5))) throw new SqlScriptError(COPY_REFUSED);
        this.onMetaCommand(text.slice(i, end === -1 ? text.length : end).replace(/\r$/, ''));
        i = end === -1 ? text.length : end + 1;
        continue;
      }
      if (c === ';') {
        const statement = this.parts.join('').trim();
        this.parts = [];
        this.blank = true;
        this.before = '  ';
        this.atLineStart = false;
        i++;
        if (!statement) continue;
        if (/^COPY\b[\s\S]*\bFROM\s+stdin\b/i.test(statement)) throw new SqlScriptError(COPY_REFUSED);
        done.push(statement);
        continue;
      }
      if ((c === '-' && after === '-') || (c === '/' && after === '*')) {
        this.state = c === '-' ? 'lineComment' : 'blockComment';
        this.commentDepth = c === '-' ? 0 : 1;
        i += 2;
        continue;
      }
      if (c === "'") {
        const prefix = this.before[1]!;
        const word = IDENTIFIER_PART.test(this.before[0]!);
        this.state = (prefix === 'E' || prefix === 'e') && !word ? 'escapeString' : 'string';
        this.push(c);
        i++;
        continue;
      }
      if (c === '"') {
        this.state = 'identifier';
        this.push(c);
        i++;
        continue;
      }
      if (c === '$' && !IDENTIFIER_PART.test(this.before[1]!)) {
        const tag = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 66))?.[0];
        if (tag) {
          this.state = 'dollar';
          this.dollarTag = tag;
          this.push(tag);
          i += tag.length;
          continue;
        }
      }
      this.code(c);
      this.atLineStart = c === '\n';
      i++;
    }
    return { statements: done, read: i };
  }

  finish(): void {
    if (this.state !== 'code' && this.state !== 'lineComment')
      throw new SqlScriptError(`The script ends inside a quoted string or a comment ${CUT_SHORT}`);
    if (!this.blank) throw new SqlScriptError(`The script's last statement has no semicolon ${CUT_SHORT}`);
  }
}

/**
 * Yields each statement of the script read from `chunks`, without its final semicolon or its comments;
 * psql meta-command lines go to `onMetaCommand` (by default, nowhere).
 */
export async function* sqlStatements(
  chunks: AsyncIterable<string>,
  onMetaCommand: (line: string) => void = () => {},
): AsyncGenerator<string> {
  const lexer = new Lexer(onMetaCommand);
  let carry = '';
  let first = true;
  for await (const chunk of chunks) {
    let text = carry + chunk;
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark before the script
      first = false;
    }
    const { statements, read } = lexer.feed(text, false);
    carry = text.slice(read);
    yield* statements;
  }
  yield* lexer.feed(carry, true).statements;
  lexer.finish();
}
