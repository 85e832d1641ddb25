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

  /** Reads `text` (whole tokens only, see `safeEnd`), returning the statements it completed. */
  feed(text: string): string[] {
    const done: string[] = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      const next = text[i + 1];
      if (this.state === 'code') {
        if (this.atLineStart && c === '\\' && this.statement.trim() === '') {
          const end = text.indexOf('\n', i);
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
      } else if (this.state === 'string') {
        if (c === "'") this.state = 'code'; // a doubled '' leaves and re-enters the string: same text
      } else if (this.state === 'escapeString') {
        if (c === '\\') {
          this.statement += c + (next ?? '');
          i += 2;
          continue;
        }
        if (c === "'") this.state = 'code';
      } else if (this.state === 'identifier') {
        if (c === '"') this.state = 'code';
      } else if (this.state === 'dollar') {
        if (c === '$' && text.startsWith(this.dollarTag, i)) {
          this.statement += this.dollarTag;
          i += this.dollarTag.length;
          this.state = 'code';
          continue;
        }
      } else if (this.state === 'lineComment') {
        if (c === '\n') {
          this.state = 'code';
          this.statement += '\n';
          this.atLineStart = true;
        }
        i++;
        continue;
      } else {
        if (c === '*' && next === '/') {
          this.state = 'code';
          i += 2;
          continue;
        }
        i++;
        continue;
      }
      this.statement += c;
      this.atLineStart = c === '\n';
      i++;
    }
    return done;
  }

  finish(): void {
    if (this.state !== 'code' && this.state !== 'lineComment')
      throw new SqlScriptError(`The script ends inside a quoted string or a comment ${CUT_SHORT}`);
    if (this.statement.trim())
      throw new SqlScriptError(`The script's last statement has no semicolon ${CUT_SHORT}`);
  }
}

/**
 * How much of `text` the lexer may read now: a token that may continue in the next chunk (a dollar tag, a
 * "--", "/*" or "*\/" pair, a backslash escape, a meta-command line) is kept for it.
 */
function safeEnd(text: string): number {
  let end = text.length;
  const lineStart = text.lastIndexOf('\n') + 1;
  if (text[lineStart] === '\\') end = lineStart;
  const dollar = text.lastIndexOf('$', end - 1);
  if (dollar >= 0 && dollar >= end - 66) end = dollar;
  while (end > 0 && '-/*\\'.includes(text[end - 1]!)) end--;
  return end;
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
    const end = safeEnd(text);
    carry = text.slice(end);
    yield* lexer.feed(text.slice(0, end));
  }
  yield* lexer.feed(carry);
  lexer.finish();
}
