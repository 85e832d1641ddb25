// Splits a plain-SQL dump (pg_dump --inserts) into statements, streaming, so that a restore runs it through
// our own Database interface on either database, with no psql on the machine. It knows just enough of
// PostgreSQL's lexical rules to find the semicolons that end statements: quoted strings ('' and E'' with
// backslashes), quoted identifiers, dollar quotes, comments. psql's meta-commands (pg_dump writes
// \restrict and \unrestrict lines) are dropped. COPY ... FROM stdin data is refused: our dumps use INSERTs.

type State = 'code' | 'string' | 'escapeString' | 'identifier' | 'dollar' | 'lineComment' | 'blockComment';

export class SqlScriptError extends Error {
  override name = 'SqlScriptError';
}

const COPY_REFUSED = 'This file holds COPY data: only plain dumps made with --inserts can be restored.';
const CUT_SHORT = '(is the file cut short?)';

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
      if (state === 'lineComment' || state === 'blockComment') {
        const line = state === 'lineComment';
        const end = text.indexOf(line ? '\n' : '*/', i);
        if (end === -1) {
          i = last ? text.length : Math.max(i, text.length - 1);
          break;
        }
        i = end + (line ? 0 : 2);
        this.state = 'code';
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
        i += 2;
        continue;
      }
      if (c === "'") {
        const prefix = this.before[1]!;
        const word = /\w/.test(this.before[0]!);
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
      if (c === '$' && !/\w/.test(this.before[1]!)) {
        const tag = /^\$(?:[A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 66))?.[0];
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

/** Yields each statement of the script read from `chunks`, without its final semicolon or its comments. */
export async function* sqlStatements(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  const lexer = new Lexer();
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
