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
  private statement = '';
  private dollarTag = '';
  private atLineStart = true;

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
        this.statement += text.slice(i, stop);
        i = stop;
        return false;
      }
      this.statement += text.slice(i, end);
      i = end;
      return true;
    };
    while (i < text.length) {
      const state = this.state;
      if (state === 'string' || state === 'identifier') {
        const quote = state === 'string' ? "'" : '"';
        if (!upTo(text.indexOf(quote, i), 0)) break;
        this.statement += quote; // a doubled '' leaves and re-enters the string: the same text
        this.state = 'code';
        i++;
        continue;
      }
      if (state === 'escapeString') {
        const end = text.slice(i).search(/['\\]/);
        if (!upTo(end === -1 ? -1 : i + end, 0)) break;
        if (text[i] === '\\') {
          if (i + 1 >= text.length && !last) break;
          this.statement += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        this.statement += "'";
        this.state = 'code';
        i++;
        continue;
      }
      if (state === 'dollar') {
        if (!upTo(text.indexOf(this.dollarTag, i), this.dollarTag.length - 1)) break;
        this.statement += this.dollarTag;
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
      // Code: one character at a time (statements' own text is short; data sits in strings).
      const c = text[i]!;
      if ('-/\\$'.includes(c) && !last && i + (c === '$' ? 66 : 2) > text.length) break;
      const next = text[i + 1];
      if (this.atLineStart && c === '\\' && this.statement.trim() === '') {
        const end = text.indexOf('\n', i);
        if (end === -1 && !last) break;
        if (/^\\(copy|\.)/i.test(text.slice(i, i + 5))) throw new SqlScriptError(COPY_REFUSED);
        i = end === -1 ? text.length : end + 1;
        continue;
      }
      if (c === ';') {
        const statement = this.statement.trim();
        this.statement = '';
        this.atLineStart = false;
        i++;
        if (!statement) continue;
        if (/^COPY\b[\s\S]*\bFROM\s+stdin\b/i.test(statement)) throw new SqlScriptError(COPY_REFUSED);
        done.push(statement);
        continue;
      }
      if ((c === '-' && next === '-') || (c === '/' && next === '*')) {
        this.state = c === '-' ? 'lineComment' : 'blockComment';
        i += 2;
        continue;
      }
      if (c === "'") {
        const before = this.statement.at(-1) ?? '';
        const word = /\w/.test(this.statement.at(-2) ?? '');
        this.state = (before === 'E' || before === 'e') && !word ? 'escapeString' : 'string';
      } else if (c === '"') {
        this.state = 'identifier';
      } else if (c === '$' && !/\w/.test(this.statement.at(-1) ?? '')) {
        const tag = /^\$(?:[A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 66))?.[0];
        if (tag) {
          this.state = 'dollar';
          this.dollarTag = tag;
          this.statement += tag;
          i += tag.length;
          continue;
        }
      }
      this.statement += c;
      this.atLineStart = c === '\n';
      i++;
    }
    return { statements: done, read: i };
  }

  finish(): void {
    if (this.state !== 'code' && this.state !== 'lineComment')
      throw new SqlScriptError(`The script ends inside a quoted string or a comment ${CUT_SHORT}`);
    if (this.statement.trim())
      throw new SqlScriptError(`The script's last statement has no semicolon ${CUT_SHORT}`);
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
